#pragma once
// A futex-backed event count. A waiter announces itself with prepare_wait(), checks
// its condition again, then sleeps on the ticket: a notify() after the announcement
// ends the wait, so none is lost. notify() with nobody announced costs a fence and
// one load of a line nobody writes (a busy producer and consumer never bounce a
// counter between their cores). A notify() makes the futex call only when a waiter
// went to sleep since the last call: a consumer that pops many frames while its
// sleeping producer is being woken makes one syscall, not one per frame. notify() is
// async-signal-safe. Shared futex operations: a Waker placed in a shared-memory
// segment wakes sleepers in other processes too.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sgn::detail {

class alignas(64) Waker {
 public:
  /// How a waiter spins before it sleeps: for up to `limit`, pausing the CPU between looks.
  /// (A step loop spins by passing over its nodes instead, and waits here with none.)
  struct Spin {
    std::chrono::nanoseconds limit{0};
  };
  /// The spin of a wait that says nothing: ~50 us, covering a producer on the other core.
  static constexpr Spin kDefaultSpin{std::chrono::microseconds(50)};

  /// An announced waiter. Destroying it without wait() withdraws the announcement.
  class [[nodiscard]] Ticket {
   public:
    explicit Ticket(Waker& waker) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();
    /// Spins as `spin` says (within `timeout`), then sleeps until a notify() since the
    /// ticket was taken, or `timeout`. True when notified, false on timeout. A notify()
    /// ends the spin at once, as it ends the sleep.
    bool wait(std::chrono::nanoseconds timeout, Spin spin = kDefaultSpin) noexcept;

   private:
    /// True when notified within `spin` (bounded by the clock, read every few dozen looks).
    bool spin_for(Spin spin) noexcept;

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

  /// Whether a waiter has announced itself, as this core last saw it: no fence, so a
  /// waiter announcing at this moment may be missed. A hint for a producer that defers
  /// its notify() (SpscChannel): a waiter seen here is woken now, any other by the
  /// deferred notify(), which cannot miss one.
  bool may_have_waiters() const noexcept { return waiting_.load(std::memory_order_relaxed) != 0; }

  /// The CPU the last notify() that found a waiter ran on (-1: none yet).
  int last_notifier_cpu() const noexcept { return notifier_cpu_.load(std::memory_order_relaxed); }

 private:
  // The futex word. Bits 1-31 count notifies made while someone waited (a ticket
  // compares them with what it saw); bit 0 (kAsleep) says a waiter may be inside the
  // futex wait on the word's current value. A waiter sets it on the value it saw before
  // it sleeps (a compare-exchange: a notify in between changed the value and ends the
  // wait instead); the notify that finds it clears it and makes the one futex call.
  static constexpr std::uint32_t kAsleep = 1;
  static constexpr std::uint32_t kOneNotify = 2;
  std::atomic<std::uint32_t> epoch_{0};
  std::atomic<std::uint32_t> waiting_{0};  // announced waiters (spinning or asleep)
  std::atomic<int> notifier_cpu_{-1};
};

}  // namespace sgn::detail
