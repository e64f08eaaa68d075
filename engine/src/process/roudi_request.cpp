#include "process/roudi_request.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "process/process_runtime.hpp"
#include "roudi/roudi_supervisor.hpp"
#include "roudi/run_record.hpp"
#include "sgn/logging.hpp"
#include "sgn/shared_memory.hpp"

namespace sgn::detail {
namespace {

constexpr auto kLookEvery = std::chrono::milliseconds(50);

std::atomic<unsigned> g_stop_signals{0};

struct Watch {
  std::mutex mutex;
  std::condition_variable asked;
  int pending = 0;  // calls in progress, on any thread
  std::chrono::steady_clock::time_point since;  // the first of them began
  unsigned signals_before = 0;  // stop signals counted when it began
  std::chrono::steady_clock::time_point signalled{};  // a stop signal seen during it
  const char* what = "";
  bool started = false;
};

Watch& watch() {
  static auto* w = new Watch();  // never destroyed: the thread may outlive main's statics
  return *w;
}

// A worker process uses RouDi without a supervisor of its own: its socket says.
bool roudi_alive() {
  RoudiSupervisor& roudi = ProcessRuntime::instance().roudi();
  return roudi.in_use() ? roudi.alive() : roudi_answers();
}

[[noreturn]] void end_process(int status, const std::string& why) {
  try {
    auto log = logger("roudi");
    log->error("{}", why);
    log->flush();
  } catch (...) {
  }
  std::fflush(nullptr);
  cleanup_all_shm();
  // Its iceoryx files and its record, whatever RouDi's state: a RouDi that wakes finds
  // nobody to answer. Its RouDi lock goes with the process.
  retire_process_record(true);
  ::_exit(status);
}

void look_while_asked() {
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);  // the process's handlers run elsewhere
  Watch& w = watch();
  std::unique_lock lock(w.mutex);
  while (true) {
    w.asked.wait(lock, [&] { return w.pending > 0; });
    w.asked.wait_for(lock, kLookEvery, [&] { return w.pending == 0; });
    if (w.pending == 0) continue;
    const auto now = std::chrono::steady_clock::now();
    const auto waited = std::chrono::duration<double>(now - w.since).count();
    const std::string what = w.what;
    if (g_stop_signals.load() != w.signals_before && w.signalled == std::chrono::steady_clock::time_point{}) {
      w.signalled = now;
    }
    const bool signal_unanswered = w.signalled != std::chrono::steady_clock::time_point{} && now - w.signalled >= kSignalGrace;
    lock.unlock();
    bool alive = true;
    try {
      alive = roudi_alive();
    } catch (...) {
    }
    if (!alive) {
      end_process(1, "RouDi died while this process waited for its answer (" + what +
                         "); iceoryx would not return: this process ends");
    }
    if (signal_unanswered) {
      end_process(128 + 2, "interrupted while waiting " + std::to_string(waited) + " s for RouDi's answer (" + what +
                               "): this process ends");
    }
    if (now - w.since >= kAnswerLimit) {
      end_process(1, "RouDi did not answer within " + std::to_string(kAnswerLimit.count()) + " s (" + what +
                         "): is it stopped or overloaded? This process ends");
    }
    lock.lock();
  }
}

}  // namespace

RoudiRequest::RoudiRequest(const char* what) {
  Watch& w = watch();
  std::lock_guard lock(w.mutex);
  if (!w.started) {
    w.started = true;
    std::thread(look_while_asked).detach();
  }
  if (w.pending++ == 0) {
    w.since = std::chrono::steady_clock::now();
    w.signals_before = g_stop_signals.load();
    w.signalled = {};
    w.what = what;
  }
  w.asked.notify_one();
}

RoudiRequest::~RoudiRequest() {
  Watch& w = watch();
  std::lock_guard lock(w.mutex);
  --w.pending;
  w.asked.notify_one();
}

void note_stop_signal() noexcept { g_stop_signals.fetch_add(1, std::memory_order_relaxed); }

}  // namespace sgn::detail
