#pragma once
// A futex-backed wake-up counter: waiters take epoch(), check their condition,
// then wait(epoch) — any notify() after epoch() ends the wait, so none is lost.
// notify() is async-signal-safe. Shared futex operations: a Waker placed in a
// shared-memory segment wakes sleepers in other processes too.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sgn::detail {

class Waker {
 public:
  std::uint32_t epoch() const noexcept { return epoch_.load(std::memory_order_seq_cst); }
  void notify() noexcept;
  /// Spins briefly, then sleeps until notified or `timeout` passed. Returns at once
  /// if notify() ran since `seen` was read.
  void wait(std::uint32_t seen, std::chrono::nanoseconds timeout) noexcept;

 private:
  std::atomic<std::uint32_t> epoch_{0};
  std::atomic<std::uint32_t> sleepers_{0};
};

}  // namespace sgn::detail
