#include "thread/spsc_channel.hpp"
#include "frames/frame_access.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "sgn/error.hpp"
#include "sgn/pipeline.hpp"

namespace sgn::detail {

namespace {
// Pipeline::validate() bounds the capacity already; std::bit_ceil is undefined past 2^63.
std::size_t checked_capacity(std::size_t capacity) {
  if (capacity < 1 || capacity > kQueueMaxsizeLimit) {
    throw Error(fmt::format("channel capacity {} is out of range [1, {}]", capacity, kQueueMaxsizeLimit));
  }
  return capacity;
}
}  // namespace

SpscChannel::SpscChannel(std::size_t capacity, std::size_t max_bytes)
    : capacity_(checked_capacity(capacity)),
      max_bytes_(max_bytes),
      mask_(std::bit_ceil(capacity_) - 1),
      slots_(std::make_unique<FrameStorage*[]>(mask_ + 1)) {}

SpscChannel::~SpscChannel() {
  const std::size_t tail = tail_.load(std::memory_order_acquire);
  for (std::size_t i = head_.load(std::memory_order_relaxed); i != tail; ++i) slots_[i & mask_]->release();  // the reference each queued slot owns
}

// The consumer stores popped_bytes_ before head_ (release); the producer loads head_
// (acquire) before popped_bytes_, so it never counts a popped frame as queued.
bool SpscChannel::has_space() const noexcept {
  // Room known from the last look costs no read of the line the consumer writes per pop
  // (that read, made for every frame, was a cross-core miss for every frame).
  const std::size_t tail = tail_.load(std::memory_order_relaxed);
  if (room(tail, cached_head_, cached_popped_bytes_)) return true;
  cached_head_ = head_.load(std::memory_order_acquire);
  cached_popped_bytes_ = popped_bytes_.load(std::memory_order_relaxed);
  return room(tail, cached_head_, cached_popped_bytes_);
}

bool SpscChannel::try_push(Frame& frame) {
  if (!has_space()) return false;
  const std::size_t tail = tail_.load(std::memory_order_relaxed);
  if (max_bytes_ != 0) pushed_bytes_ += frame.capacity();
  slots_[tail & mask_] = FrameAccess::release(frame);
  tail_.store(tail + 1, std::memory_order_release);
  wake(consumer_, defer_consumer_wake_, consumer_wake_owed_);  // a busy consumer: once a burst
  return true;
}

bool SpscChannel::try_pop(Frame& out) {
  const std::size_t head = head_.load(std::memory_order_relaxed);
  if (head == cached_tail_) {
    cached_tail_ = tail_.load(std::memory_order_acquire);
    if (head == cached_tail_) return false;
    // The frames that just became visible were written on the producer's core: ask for
    // their storage's first lines (header, payload pointer; a small pooled heap frame's
    // payload starts on the third, see HeapFramePool) now, so that the misses overlap
    // instead of coming one frame at a time. (A prefetch past a smaller object touches
    // nothing it may not: it never faults.)
    const std::size_t end = std::min(cached_tail_, head + kPrefetchFrames);
    for (std::size_t i = std::max(head, prefetched_); i < end; ++i) {
      const auto* storage = reinterpret_cast<const char*>(slots_[i & mask_]);
      __builtin_prefetch(storage);
      __builtin_prefetch(storage + kLine);
      __builtin_prefetch(storage + 2 * kLine);
    }
    prefetched_ = std::max(prefetched_, end);
  }
  FrameStorage* storage = slots_[head & mask_];
  if (max_bytes_ != 0) {
    popped_bytes_.store(popped_bytes_.load(std::memory_order_relaxed) + storage->capacity(),
                        std::memory_order_relaxed);
  }
  out = FrameAccess::adopt(storage);
  head_.store(head + 1, std::memory_order_release);
  wake(producer_, defer_producer_wake_, producer_wake_owed_);
  return true;
}

std::size_t SpscChannel::size() const noexcept {
  return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
}

void SpscChannel::close() noexcept {
  closed_.store(true, std::memory_order_release);
  if (consumer_) consumer_->notify();
  if (producer_) producer_->notify();
}

}  // namespace sgn::detail
