#include "common/waker.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

namespace sgn::detail {
namespace {
// Looks between clock reads while spinning. The spin never yields: on a loaded machine a
// yield gives the core away for a whole slice.
constexpr int kLooksPerClockRead = 64;

std::int64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A full barrier (StoreLoad). On x86-64 a locked no-op on the stack costs a fraction
// of MFENCE and orders the same (it is what the Linux kernel's smp_mb() does there).
inline void full_barrier() noexcept {
#if defined(__x86_64__)
  asm volatile("lock orl $0, (%%rsp)" ::: "memory", "cc");
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}
}  // namespace

// The announcement (an RMW, a full barrier) comes before the epoch is read and the
// condition checked; notify() publishes the condition, fences, then reads waiting_.
// Either the waiter sees the condition, or notify() sees the waiter and bumps epoch_.
Waker::Ticket::Ticket(Waker& waker) noexcept : waker_(waker) {
  waker_.waiting_.fetch_add(1, std::memory_order_seq_cst);
  seen_ = waker_.epoch_.load(std::memory_order_seq_cst) & ~kAsleep;
}

Waker::Ticket::~Ticket() { waker_.waiting_.fetch_sub(1, std::memory_order_release); }

bool Waker::Ticket::spin_for(Spin spin) noexcept {
  auto& epoch = waker_.epoch_;
  const std::int64_t end = now_ns() + spin.limit.count();
  for (;;) {
    for (int i = 0; i < kLooksPerClockRead; ++i) {
      if ((epoch.load(std::memory_order_acquire) & ~kAsleep) != seen_) return true;
      Waker::relax();
    }
    if (now_ns() >= end) return false;
  }
}

bool Waker::Ticket::wait(std::chrono::nanoseconds timeout, Spin spin) noexcept {
  auto& epoch = waker_.epoch_;
  const auto notified = [&] { return (epoch.load(std::memory_order_acquire) & ~kAsleep) != seen_; };
  if (notified()) return true;
  if (spin.limit.count() > 0) {
    const auto limit = std::min(spin.limit, timeout);
    if (spin_for({limit})) return true;
    if (limit >= timeout) return false;
    timeout -= limit;  // the sleep ends when the caller's timeout would have
  }
  // Mark the value we saw as slept on. Failing means it changed: a notify came (or
  // another waiter marked it first, which is as good).
  std::uint32_t current = seen_;
  if (!epoch.compare_exchange_strong(current, seen_ | kAsleep, std::memory_order_seq_cst) &&
      current != (seen_ | kAsleep)) {
    return true;
  }
  const auto ns = timeout.count() > 0 ? timeout.count() : 0;
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch), FUTEX_WAIT, seen_ | kAsleep, &ts, nullptr, 0);
  return notified();
}

void Waker::notify() noexcept {
  full_barrier();
  if (waiting_.load(std::memory_order_relaxed) == 0) return;
  notifier_cpu_.store(sched_getcpu(), std::memory_order_relaxed);
  const std::uint32_t before = epoch_.fetch_add(kOneNotify, std::memory_order_seq_cst);
  if ((before & kAsleep) == 0) return;  // nobody went to sleep since the last futex call
  // Clear the mark before the wake: a waiter that marks the new value after this is
  // woken by the next notify. Two notifiers may both see the mark: one wake is spare.
  epoch_.fetch_and(~kAsleep, std::memory_order_seq_cst);
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

}  // namespace sgn::detail
