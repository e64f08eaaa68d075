#include "common/waker.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

namespace sgn::detail {
namespace {
constexpr int kSpinRounds = 2000;  // ~55 us of pauses: covers a producer on the other core
// Low-latency spin: looks between clock reads, and how long to spin before every look
// also yields (a producer descheduled on this core gets it). The default spin never
// yields: on a loaded machine a yield gives the core away for a whole slice.
constexpr int kLooksPerClockRead = 64;
constexpr std::int64_t kYieldAfterNs = 20'000;

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
  seen_ = waker_.epoch_.load(std::memory_order_seq_cst);
}

Waker::Ticket::~Ticket() { waker_.waiting_.fetch_sub(1, std::memory_order_release); }

bool Waker::Ticket::spin_for(std::chrono::nanoseconds spin) noexcept {
  auto& epoch = waker_.epoch_;
  const std::int64_t start = now_ns();
  const std::int64_t end = start + spin.count();
  bool yielding = false;  // after kYieldAfterNs: a sched_yield() per look
  for (;;) {
    for (int i = 0; i < kLooksPerClockRead; ++i) {
      if (epoch.load(std::memory_order_acquire) != seen_) return true;
      Waker::relax();
      if (yielding) sched_yield();
    }
    const std::int64_t now = now_ns();
    if (now >= end) return false;
    yielding = now - start >= kYieldAfterNs;
  }
}

bool Waker::Ticket::wait(std::chrono::nanoseconds timeout, std::chrono::nanoseconds spin) noexcept {
  auto& epoch = waker_.epoch_;
  if (spin.count() > 0) {
    if (spin_for(std::min(spin, timeout))) return true;
    if (spin >= timeout) return false;
    timeout -= spin;  // the sleep ends when the caller's timeout would have
  } else {
    for (int i = 0; i < kSpinRounds; ++i) {
      if (epoch.load(std::memory_order_acquire) != seen_) return true;
      Waker::relax();
    }
  }
  waker_.sleepers_.fetch_add(1, std::memory_order_seq_cst);
  if (epoch.load(std::memory_order_seq_cst) == seen_) {
    const auto ns = timeout.count() > 0 ? timeout.count() : 0;
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch), FUTEX_WAIT, seen_, &ts, nullptr, 0);
  }
  waker_.sleepers_.fetch_sub(1, std::memory_order_seq_cst);
  return epoch.load(std::memory_order_acquire) != seen_;
}

void Waker::notify() noexcept {
  full_barrier();
  if (waiting_.load(std::memory_order_relaxed) == 0) return;
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  // Every notify with a sleeper counted makes the futex call. (Skipping it unless the
  // epoch moved off a lone sleeper's recorded value lost wake-ups: a waiter that records
  // its epoch and then finds it moved, so does not sleep, overwrites the record of one
  // that does sleep.)
  if (sleepers_.load(std::memory_order_seq_cst) != 0) {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
  }
}

}  // namespace sgn::detail
