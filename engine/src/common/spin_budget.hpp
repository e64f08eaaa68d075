#pragma once
// How long a loop's default wait spins before it sleeps, learnt from its own recent
// waits. A spin pays only when the notify comes within it: a busy stream's next frame
// is microseconds away, a paced sensor's is hundreds. Spinning for the latter burns
// the core and, measured on this project's 2-core KVM guests, makes the futex wake-up
// that follows slower (p50 6 us after no spin, 10-13 us after 5-50 us of spinning):
// see bench/RESULTS.md, "Low-latency links".

#include <algorithm>
#include <chrono>

namespace sgn::detail {

class SpinBudget {
 public:
  /// The longest default spin (the old fixed spin: a producer on the other core).
  static constexpr std::chrono::nanoseconds kMax{50'000};
  /// Below this a spin is not worth a clock read: the loop sleeps at once.
  static constexpr std::chrono::nanoseconds kMin{1'000};

  /// How long the next wait may spin.
  std::chrono::nanoseconds next() const noexcept { return budget_; }

  /// Notifies in a row from the waiter's own CPU before it stops spinning.
  static constexpr int kSharedCpuNotifiesToStop = 4;

  /// A wait ended after `waited`, by a notify or not (its timeout). Notifies made on the
  /// waiter's own CPU, several in a row, end spinning: the notifier runs only once the
  /// waiter stops (two threads sharing a core). (One alone says little: a spin also
  /// pushes a woken peer onto another, idle CPU.) Otherwise a notify within kMax says a
  /// spin twice that long would catch the next one; anything else halves the spin.
  void observe(std::chrono::nanoseconds waited, bool notified, bool notifier_shared_the_cpu = false) noexcept {
    if (notified) shared_cpu_notifies_ = notifier_shared_the_cpu ? shared_cpu_notifies_ + 1 : 0;
    if (shared_cpu_notifies_ >= kSharedCpuNotifiesToStop) {
      budget_ = std::chrono::nanoseconds{0};
      return;
    }
    if (notified && waited < kMax) {
      budget_ = std::min(kMax, std::max(budget_, 2 * waited));
      return;
    }
    budget_ /= 2;
    if (budget_ < kMin) budget_ = std::chrono::nanoseconds{0};
  }

 private:
  std::chrono::nanoseconds budget_ = kMax;
  int shared_cpu_notifies_ = 0;
};

}  // namespace sgn::detail
