#pragma once
// A futex-backed event count. A waiter announces itself with prepare_wait(), checks
// its condition again, then sleeps on the ticket: a notify() after the announcement
// ends the wait, so none is lost. notify() with nobody announced costs a fence and
// one load of a line nobody writes (a busy producer and consumer never bounce a
// counter between their cores). notify() is async-signal-safe. Shared futex
// operations: a Waker placed in a shared-memory segment wakes sleepers in other
// processes too.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sgn::detail {

class Waker {
 public:
  /// An announced waiter. Destroying it without wait() withdraws the announcement.
  class [[nodiscard]] Ticket {
   public:
    explicit Ticket(Waker& waker) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();
    /// Spins (~55 us), then sleeps until a notify() since the ticket was taken, or
    /// `timeout`. True when notified, false on timeout. With `spin` (low-latency mode)
    /// it busy-polls for up to that long (within `timeout`) before sleeping: a pause
    /// per look, and a sched_yield() per look once it spun 20 us (a peer sharing this
    /// core gets to run). A notify() ends the spin at once, as it ends the sleep.
    bool wait(std::chrono::nanoseconds timeout, std::chrono::nanoseconds spin = {}) noexcept;

   private:
    /// True when notified within `spin` (bounded by the clock, read every few dozen looks).
    bool spin_for(std::chrono::nanoseconds spin) noexcept;

    Waker& waker_;
    std::uint32_t seen_;
  };

  /// Announces a waiter: check the condition after this, then wait on the ticket.
  Ticket prepare_wait() noexcept { return Ticket(*this); }

  /// Idle looks a waiter takes before announcing itself: while a stream flows, the
  /// next frame usually arrives within them, and its producer's notify() stays cheap.
  static constexpr int kPollsBeforeAnnouncing = 64;
  static void relax() noexcept { __builtin_ia32_pause(); }

  /// Returns as soon as `ready()` holds; after kPollsBeforeAnnouncing failed looks,
  /// announces a waiter, checks `ready()` once more and sleeps until notified or
  /// `timeout`. Returns the last result of `ready()` (false after a sleep: look again).
  template <class Ready>
  bool wait_unless(Ready ready, std::chrono::nanoseconds timeout) {
    for (int i = 0; i < kPollsBeforeAnnouncing; ++i) {
      if (ready()) return true;
      relax();
    }
    Ticket ticket = prepare_wait();
    if (ready()) return true;
    ticket.wait(timeout);
    return false;
  }

  void notify() noexcept;

 private:
  std::atomic<std::uint32_t> epoch_{0};     // the futex word: bumped by notify() when someone waits
  std::atomic<std::uint32_t> waiting_{0};   // announced waiters (spinning or asleep)
  std::atomic<std::uint32_t> sleepers_{0};  // waiters inside the futex wait
};

}  // namespace sgn::detail
