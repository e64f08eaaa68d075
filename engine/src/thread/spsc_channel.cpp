#include "thread/spsc_channel.hpp"
#include "frames/frame_access.hpp"

#include <fmt/format.h>

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

SpscChannel::SpscChannel(std::size_t capacity)
    : capacity_(checked_capacity(capacity)),
      mask_(std::bit_ceil(capacity_) - 1),
      slots_(std::make_unique<FrameStorage*[]>(mask_ + 1)) {}

SpscChannel::~SpscChannel() {
  const std::size_t tail = tail_.load(std::memory_order_acquire);
  for (std::size_t i = head_.load(std::memory_order_relaxed); i != tail; ++i) slots_[i & mask_]->release();  // the reference each queued slot owns
}

bool SpscChannel::has_space() const noexcept {
  return tail_.load(std::memory_order_relaxed) - head_.load(std::memory_order_acquire) < capacity_;
}

bool SpscChannel::try_push(Frame& frame) {
  const std::size_t tail = tail_.load(std::memory_order_relaxed);
  if (tail - cached_head_ >= capacity_) {
    cached_head_ = head_.load(std::memory_order_acquire);
    if (tail - cached_head_ >= capacity_) return false;
  }
  slots_[tail & mask_] = FrameAccess::release(frame);
  tail_.store(tail + 1, std::memory_order_release);
  if (consumer_) consumer_->notify();
  return true;
}

bool SpscChannel::try_pop(Frame& out) {
  const std::size_t head = head_.load(std::memory_order_relaxed);
  if (head == cached_tail_) {
    cached_tail_ = tail_.load(std::memory_order_acquire);
    if (head == cached_tail_) return false;
  }
  out = FrameAccess::adopt(slots_[head & mask_]);
  head_.store(head + 1, std::memory_order_release);
  if (producer_) producer_->notify();
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
