#include "process/iox_runtime.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "iceoryx_hoofs/log/logmanager.hpp"
#include "iceoryx_posh/internal/runtime/posh_runtime_impl.hpp"
#include "process/roudi_request.hpp"
#include "sgn/error.hpp"
#include "sgn/logging.hpp"
#include "sgn/shared_memory.hpp"

namespace sgn::detail {
namespace {

// iceoryx's runtime, made by us and ended by us (iceoryx's default keeps it in a
// function-local static whose destructor may wait forever for RouDi).
class OwnedRuntime final : public iox::runtime::PoshRuntimeImpl {
 public:
  explicit OwnedRuntime(const iox::RuntimeName_t* name)
      : PoshRuntimeImpl(iox::cxx::make_optional<const iox::RuntimeName_t*>(name)) {}
  static void become_the_factory() { setRuntimeFactory(&instance); }

 private:
  static iox::runtime::PoshRuntime& instance(iox::cxx::optional<const iox::RuntimeName_t*> name);
};

std::atomic<OwnedRuntime*> g_runtime{nullptr};
std::atomic<bool> g_poisoned{false};

iox::runtime::PoshRuntime& OwnedRuntime::instance(iox::cxx::optional<const iox::RuntimeName_t*> name) {
  if (OwnedRuntime* runtime = g_runtime.load()) return *runtime;
  if (!name.has_value()) {
    // A port made before init_iox_runtime(): a bug in the engine, not a user error.
    std::fputs("sgn: an iceoryx port was created before the runtime\n", stderr);
    std::abort();
  }
  auto* made = new OwnedRuntime(name.value());
  g_runtime.store(made);
  return *made;
}

[[noreturn]] void end_now(int status) {
  std::fflush(nullptr);
  ::_exit(status);
}

// Registered with on_exit() after the runtime exists, so it runs before the exit
// handlers registered earlier (the RouDi users lock is left after it).
void end_runtime_at_exit(int status, void*) {
  OwnedRuntime* runtime = g_runtime.load();
  if (!runtime) return;
  cleanup_all_shm();  // first: whatever follows may not return
  if (g_poisoned.load()) end_now(status);
  struct Teardown {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
  };
  auto teardown = std::make_shared<Teardown>();
  std::thread worker([runtime, teardown] {
    delete runtime;  // unregisters: RouDi answers, or not
    std::lock_guard lock(teardown->mutex);
    teardown->done = true;
    teardown->cv.notify_one();
  });
  std::unique_lock lock(teardown->mutex);
  if (!teardown->cv.wait_for(lock, kIoxTeardownLimit, [&] { return teardown->done; })) end_now(status);
  lock.unlock();
  worker.join();
  g_runtime.store(nullptr);
}

// Worker termination (see install_worker_termination).
thread_local int t_iox_depth __attribute__((tls_model("initial-exec"))) = 0;
volatile std::sig_atomic_t g_termination_pending = 0;
pid_t g_main_pid = 0;
pid_t g_worker_tid = 0;

[[noreturn]] void terminate_worker() noexcept {
  ::signal(SIGTERM, SIG_DFL);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::pthread_sigmask(SIG_UNBLOCK, &term, nullptr);
  ::raise(SIGTERM);
  ::_exit(128 + SIGTERM);
}

extern "C" void on_worker_sigterm(int, siginfo_t* info, void*) {
  const pid_t self = ::getpid();
  if (info->si_pid != g_main_pid && info->si_pid != self) return;  // not main's: main coordinates
  if (static_cast<pid_t>(::syscall(SYS_gettid)) != g_worker_tid) {
    // Only the worker's thread knows whether it is inside iceoryx: hand it over.
    ::syscall(SYS_tgkill, self, g_worker_tid, SIGTERM);
    return;
  }
  g_termination_pending = 1;
  if (t_iox_depth == 0) terminate_worker();
}

}  // namespace

namespace {
// iceoryx's own lines, written to standard error behind the engine's back: its
// warnings and errors about pools running dry or peers going away are what the engine
// handles (and reports itself when they matter), so they show only with -v/-vv.
iox::log::LogLevel iox_log_level(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace: return iox::log::LogLevel::kVerbose;
    case spdlog::level::debug: return iox::log::LogLevel::kWarn;
    case spdlog::level::off: return iox::log::LogLevel::kOff;
    default: return iox::log::LogLevel::kFatal;
  }
}
}  // namespace

void init_iox_runtime(const std::string& name) {
  if (g_runtime.load()) return;
  if (name.size() > iox::RuntimeName_t::capacity()) {
    throw Error("iceoryx runtime name '" + name + "' is longer than iceoryx allows");
  }
  iox::log::LogManager::GetLogManager().SetDefaultLogLevel(iox_log_level(log_level()),
                                                           iox::log::LogLevelOutput::kHideLogLevel);
  OwnedRuntime::become_the_factory();
  const iox::RuntimeName_t runtime_name(iox::cxx::TruncateToCapacity, name.c_str());
  {
    RoudiRequest request("registration");
    iox::runtime::PoshRuntime::initRuntime(runtime_name);
  }
  ::on_exit(end_runtime_at_exit, nullptr);
}

bool iox_runtime_up() noexcept { return g_runtime.load() != nullptr; }

void mark_iox_poisoned() noexcept { g_poisoned.store(true); }
bool iox_poisoned() noexcept { return g_poisoned.load(); }

IoxCall::IoxCall() noexcept {
  ++t_iox_depth;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

IoxCall::~IoxCall() {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (--t_iox_depth == 0 && g_termination_pending) terminate_worker();
}

void install_worker_termination(pid_t main_pid) {
  g_main_pid = main_pid;
  g_worker_tid = static_cast<pid_t>(::syscall(SYS_gettid));
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &term, nullptr);
  struct sigaction action {};
  action.sa_sigaction = on_worker_sigterm;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  ::sigaction(SIGTERM, &action, nullptr);
}

void allow_worker_termination() {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::pthread_sigmask(SIG_UNBLOCK, &term, nullptr);
}

}  // namespace sgn::detail
