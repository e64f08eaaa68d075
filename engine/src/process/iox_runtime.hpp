#pragma once
// This process's iceoryx runtime, owned by the engine instead of a function-local
// static. Why: iceoryx 2.0's port mutexes in shared memory are not robust. A process
// SIGKILLed inside publish() leaves its publisher's mutex locked forever, and RouDi
// blocks for good the next time it touches that port: when a subscriber connected to
// it is destroyed, or when any process owning such a subscriber unregisters. And the
// runtime's destructor waits for RouDi's answer to its unregistration without bound.
// So the engine
//  - never destroys a port connected to a peer that died that way, and then never
//    unregisters this process ("poisoned"): RouDi never touches the locked mutex;
//  - unregisters at exit with a bound, and past it ends the process anyway;
//  - in a worker, defers a termination signal from the main process until the worker
//    is outside every iceoryx call, so the engine's own kills never leave a mutex
//    locked (IoxCall brackets those calls).

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace sgn::detail {

/// Initialises this process's runtime under `name` (once; later calls do nothing) and
/// arranges its bounded teardown at exit.
void init_iox_runtime(const std::string& name);
bool iox_runtime_up() noexcept;

/// A peer of this process died inside iceoryx (or may have): from now on ports
/// connected to it are abandoned, and the runtime is not unregistered at exit.
void mark_iox_poisoned() noexcept;
bool iox_poisoned() noexcept;

/// How long exit waits for RouDi to acknowledge the unregistration.
constexpr std::chrono::milliseconds kIoxTeardownLimit{500};

/// Brackets a call into iceoryx that may take a port mutex. A termination deferred
/// while one was open happens when the outermost closes.
class IoxCall {
 public:
  IoxCall() noexcept;
  ~IoxCall();
  IoxCall(const IoxCall&) = delete;
  IoxCall& operator=(const IoxCall&) = delete;
};

/// An iceoryx port (wrapped in `Port`) that is destroyed as usual, or, once abandoned,
/// left as it is for good (see above). `Port` may be incomplete where this is declared;
/// the owner's destructor must be defined where it is complete.
template <class Port>
class OwnedPort {
 public:
  explicit OwnedPort(std::unique_ptr<Port> port) noexcept : port_(std::move(port)) {}
  ~OwnedPort() {
    if (abandoned_) {
      (void)port_.release();
      return;
    }
    IoxCall call;
    port_.reset();
  }
  OwnedPort(const OwnedPort&) = delete;
  OwnedPort& operator=(const OwnedPort&) = delete;
  Port* operator->() const noexcept { return port_.get(); }
  void abandon() noexcept { abandoned_ = true; }

 private:
  std::unique_ptr<Port> port_;
  bool abandoned_ = false;
};

/// In a worker process, before the iceoryx runtime starts its threads: SIGTERM sent
/// by `main_pid` (its shutdown ladder, or its death through the parent-death signal)
/// ends the worker as soon as no IoxCall is open; SIGTERM from anyone else (a
/// process-group or cgroup-wide kill) is ignored, since main coordinates the drain.
/// Blocks SIGTERM in this thread until allow_worker_termination(): threads started
/// meanwhile (iceoryx's) keep it blocked, so the handler runs on the worker's thread.
void install_worker_termination(pid_t main_pid);
/// Unblocks SIGTERM in the calling (the worker's) thread.
void allow_worker_termination();

}  // namespace sgn::detail
