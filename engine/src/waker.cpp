#include "detail/waker.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace sgn::detail {
namespace {
constexpr int kSpinRounds = 2000;  // ~a few us: covers a producer on the other core

inline void cpu_relax() noexcept { __builtin_ia32_pause(); }
}  // namespace

void Waker::notify() noexcept {
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) != 0) {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAKE, INT32_MAX,
            nullptr, nullptr, 0);
  }
}

void Waker::wait(std::uint32_t seen, std::chrono::nanoseconds timeout) noexcept {
  for (int i = 0; i < kSpinRounds; ++i) {
    if (epoch_.load(std::memory_order_acquire) != seen) return;
    cpu_relax();
  }
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  if (epoch_.load(std::memory_order_seq_cst) == seen) {
    const auto ns = timeout.count() > 0 ? timeout.count() : 0;
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&epoch_), FUTEX_WAIT, seen, &ts,
            nullptr, 0);
  }
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
}

}  // namespace sgn::detail
