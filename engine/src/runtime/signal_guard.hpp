#pragma once
// SIGINT/SIGTERM during a run (SGN's SignalEOS): the first asks sources for EOS
// so the pipeline drains, the second stops at once. The previous handlers come
// back when the guard goes. Worker threads block these signals (ScopedSignalBlock).

#include <csignal>

namespace sgn::detail {

struct RunControl;

class SignalGuard {
 public:
  explicit SignalGuard(RunControl& control);
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
  /// Signals received while this guard was installed.
  int received() const noexcept;
  /// A shutdown or stop requested before the run (a Ctrl+C caught by the caller's own
  /// handler, kept by Pipeline) counts as the first signal: the next one stops.
  void count_requests_already_made() noexcept;

 private:
  RunControl& control_;
  RunControl* previous_target_;
  int previous_count_;
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

/// Blocks SIGINT/SIGTERM in this thread while alive, so threads started meanwhile inherit the block.
class ScopedSignalBlock {
 public:
  ScopedSignalBlock();
  ~ScopedSignalBlock();

 private:
  sigset_t previous_{};
};

}  // namespace sgn::detail
