#include "common/waker.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace sgn::detail {
namespace {
constexpr int kSpinRounds = 2000;  // ~a few us: covers a producer on the other core

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

bool Waker::Ticket::wait(std::chrono::nanoseconds timeout) noexcept {
  auto& epoch = waker_.epoch_;
  for (int i = 0; i < kSpinRounds; ++i) {
    if (epoch.load(std::memory_order_acquire) != seen_) return true;
    Waker::relax();
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
  if (sleepers_.load(std::memory_order_seq_cst) != 0) {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
  }
}

}  // namespace sgn::detail
