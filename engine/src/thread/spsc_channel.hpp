#pragma once
// Thread-mode channel: a lock-free single-producer/single-consumer ring of frame
// handles (a pointer each), with futex wake-ups through Waker. Bounded in frames and,
// optionally, in bytes: the buffers its queued frames hold (their capacity), so that a
// stream of big frames does not queue gigabytes; an empty channel always takes a frame.

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>

#include "common/waker.hpp"
#include "frames/frame_channel.hpp"

namespace sgn::detail {

class SpscChannel final : public FrameSender, public FrameReceiver {
 public:
  /// `max_bytes` 0: bounded in frames only.
  explicit SpscChannel(std::size_t capacity, std::size_t max_bytes = 0);
  ~SpscChannel() override;

  bool try_push(Frame& frame) override;
  bool has_space() const noexcept override;  // the producer's call, as try_push
  bool try_pop(Frame& out) override;
  std::size_t size() const noexcept override;
  void close() noexcept override;
  void defer_consumer_wakes() noexcept override { defer_consumer_wake_ = true; }
  void flush_consumer_wake() noexcept override { pay(consumer_, consumer_wake_owed_); }
  void defer_producer_wakes() noexcept override { defer_producer_wake_ = true; }
  void flush_producer_wake() noexcept override { pay(producer_, producer_wake_owed_); }
  bool closed() const noexcept override { return closed_.load(std::memory_order_acquire); }
  /// Who to wake: the consumer when a frame arrives, the producer when room appears.
  void set_wakers(Waker* consumer, Waker* producer) noexcept {
    consumer_ = consumer;
    producer_ = producer;
  }
  std::size_t capacity() const noexcept { return capacity_; }
  /// Bytes of the buffers queued now, as the producer sees them (call from the producer).
  std::size_t queued_bytes() const noexcept {
    return pushed_bytes_ - popped_bytes_.load(std::memory_order_acquire);
  }

 private:
  static constexpr std::size_t kLine = 64;
  /// Frames whose storage a pop asks the caches for ahead of use.
  static constexpr std::size_t kPrefetchFrames = 8;
  /// Wakes `waker` now, or, when wakes are deferred and nobody is seen waiting, owes it.
  static void wake(Waker* waker, bool deferred, bool& owed) noexcept {
    if (!waker) return;
    if (deferred && !waker->may_have_waiters()) {
      owed = true;
    } else {
      waker->notify();
    }
  }
  /// Pays a wake that `owed` records.
  static void pay(Waker* waker, bool& owed) noexcept {
    if (!owed) return;
    owed = false;
    if (waker) waker->notify();
  }
  /// The producer's test for room, from its view of head_ and popped_bytes_.
  bool room(std::size_t tail, std::size_t head, std::size_t popped_bytes) const noexcept {
    if (tail - head >= capacity_) return false;
    return max_bytes_ == 0 || tail == head || pushed_bytes_ - popped_bytes < max_bytes_;
  }

  const std::size_t capacity_;
  const std::size_t max_bytes_;
  const std::size_t mask_;
  // Storage pointers, each owning one reference while queued. The consumer only
  // reads a slot (never clears it), so the producer's line of slots is not pulled
  // back and forth for every frame.
  std::unique_ptr<FrameStorage*[]> slots_;
  Waker* consumer_ = nullptr;
  Waker* producer_ = nullptr;
  alignas(kLine) std::atomic<std::size_t> head_{0};  // next to pop (consumer writes)
  std::atomic<std::size_t> popped_bytes_{0};         // consumer writes, before head_
  std::size_t cached_tail_ = 0;                      // consumer's view of tail_
  std::size_t prefetched_ = 0;                       // consumer's: slots below this were prefetched
  bool defer_producer_wake_ = false;                 // consumer's (defer_producer_wakes)
  bool producer_wake_owed_ = false;                  // consumer's: a deferred pop since the last flush
  alignas(kLine) std::atomic<std::size_t> tail_{0};  // next to push (producer writes)
  mutable std::size_t cached_head_ = 0;              // producer's view of head_
  mutable std::size_t cached_popped_bytes_ = 0;      // producer's view of popped_bytes_
  std::size_t pushed_bytes_ = 0;                     // producer's
  bool defer_consumer_wake_ = false;                 // producer's (defer_consumer_wakes)
  bool consumer_wake_owed_ = false;                  // producer's: a deferred push since the last flush
  alignas(kLine) std::atomic<bool> closed_{false};
};

}  // namespace sgn::detail
