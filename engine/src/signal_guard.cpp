#include "detail/signal_guard.hpp"

#include <pthread.h>

#include <atomic>

#include "detail/node.hpp"

namespace sgn::detail {
namespace {
std::atomic<RunControl*> g_target{nullptr};
std::atomic<int> g_count{0};

extern "C" void on_signal(int) {
  const int n = g_count.fetch_add(1) + 1;
  RunControl* control = g_target.load();
  if (!control) return;
  control->interrupted.store(true);
  if (n == 1) {
    control->eos_requested.store(true);
  } else {
    control->stop_requested.store(true);
  }
  control->notify_all();
}
}  // namespace

SignalGuard::SignalGuard(RunControl& control)
    : previous_target_(g_target.exchange(&control)), previous_count_(g_count.exchange(0)) {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

SignalGuard::~SignalGuard() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  g_target.store(previous_target_);
  g_count.store(previous_count_);
}

int SignalGuard::received() const noexcept { return g_count.load(); }

ScopedSignalBlock::ScopedSignalBlock() {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &previous_);
}

ScopedSignalBlock::~ScopedSignalBlock() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

}  // namespace sgn::detail
