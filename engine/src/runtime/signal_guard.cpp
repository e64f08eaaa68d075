#include "runtime/signal_guard.hpp"

#include <pthread.h>
#include <sched.h>

#include <atomic>

#include "graph/node.hpp"
#include "process/roudi_request.hpp"

namespace sgn::detail {
namespace {
std::atomic<RunControl*> g_target{nullptr};
std::atomic<int> g_count{0};
std::atomic<int> g_handlers_running{0};  // a guard going waits for them: they use its RunControl

extern "C" void on_signal(int) {
  g_handlers_running.fetch_add(1);
  note_stop_signal();  // a thread stuck waiting for RouDi's answer cannot see the run's flags
  const int n = g_count.fetch_add(1) + 1;
  if (RunControl* control = g_target.load()) {
    control->interrupted.store(true);
    if (n == 1) {
      control->eos_requested.store(true);
    } else {
      control->stop_requested.store(true);
    }
    control->notify_all();
  }
  g_handlers_running.fetch_sub(1);
}
}  // namespace

SignalGuard::SignalGuard(RunControl& control)
    : control_(control), previous_target_(g_target.exchange(&control)), previous_count_(g_count.exchange(0)) {
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
  // A handler on another thread may still be notifying this run's wakers.
  while (g_handlers_running.load() != 0) sched_yield();
}

int SignalGuard::received() const noexcept { return g_count.load(); }

void SignalGuard::count_requests_already_made() noexcept {
  const int already = control_.stop_requested.load() ? 2 : control_.eos_requested.load() ? 1 : 0;
  int current = g_count.load();
  while (current < already && !g_count.compare_exchange_weak(current, already)) {
  }
}

ScopedSignalBlock::ScopedSignalBlock() {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &previous_);
}

ScopedSignalBlock::~ScopedSignalBlock() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

}  // namespace sgn::detail
