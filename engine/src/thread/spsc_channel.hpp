#pragma once
// Thread-mode channel: a lock-free single-producer/single-consumer ring of frame
// handles (a pointer each), with futex wake-ups through Waker.

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>

#include "common/waker.hpp"
#include "frames/frame_channel.hpp"

namespace sgn::detail {

class SpscChannel final : public FrameSender, public FrameReceiver {
 public:
  explicit SpscChannel(std::size_t capacity);
  ~SpscChannel() override;

  bool try_push(Frame& frame) override;
  bool has_space() const noexcept override;
  bool try_pop(Frame& out) override;
  std::size_t size() const noexcept override;
  void close() noexcept override;
  bool closed() const noexcept override { return closed_.load(std::memory_order_acquire); }
  /// Who to wake: the consumer when a frame arrives, the producer when room appears.
  void set_wakers(Waker* consumer, Waker* producer) noexcept {
    consumer_ = consumer;
    producer_ = producer;
  }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  static constexpr std::size_t kLine = 64;
  const std::size_t capacity_;
  const std::size_t mask_;
  // Storage pointers, each owning one reference while queued. The consumer only
  // reads a slot (never clears it), so the producer's line of slots is not pulled
  // back and forth for every frame.
  std::unique_ptr<FrameStorage*[]> slots_;
  Waker* consumer_ = nullptr;
  Waker* producer_ = nullptr;
  alignas(kLine) std::atomic<std::size_t> head_{0};  // next to pop (consumer writes)
  std::size_t cached_tail_ = 0;                      // consumer's view of tail_
  alignas(kLine) std::atomic<std::size_t> tail_{0};  // next to push (producer writes)
  std::size_t cached_head_ = 0;                      // producer's view of head_
  alignas(kLine) std::atomic<bool> closed_{false};
};

}  // namespace sgn::detail
