#pragma once
// RouDi, the iceoryx daemon (one per machine). If one runs, the engine attaches
// and never stops it. Otherwise it starts its own, waits (briefly) until it
// answers, and stops it last: at exit, or by PDEATHSIG if this process dies.
// Never iceoryx's own 60 s wait-then-abort: readiness is probed on the socket.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sgn::detail {

/// iceoryx 2.0.3 default paths.
struct RoudiPaths {
  std::string socket = "/tmp/roudi";
  std::string unique_lock = "/tmp/iox-unique-roudi.lock";
  std::string socket_lock = "/tmp/roudi.lock";
  std::string management_shm = "/dev/shm/iceoryx_mgmt";
  std::vector<std::string> data_shm{"/dev/shm/root"};
};

/// A RouDi answers on its socket.
bool roudi_answers(const RoudiPaths& paths = {});
/// A live process holds RouDi's unique lock.
bool roudi_lock_held(const RoudiPaths& paths = {});
/// Removes files of a crashed RouDi, only when no live RouDi holds the lock.
/// Returns the paths removed.
std::vector<std::string> remove_stale_roudi_files(const RoudiPaths& paths = {});

class RoudiSupervisor {
 public:
  RoudiSupervisor() = default;
  ~RoudiSupervisor();
  RoudiSupervisor(const RoudiSupervisor&) = delete;
  RoudiSupervisor& operator=(const RoudiSupervisor&) = delete;

  /// Attaches to a running RouDi or starts one with `config_file`. Throws sgn::Error
  /// with what went wrong (binary missing, exited with status N, not ready in time).
  void ensure_running(const std::string& config_file, std::chrono::milliseconds timeout);
  /// False once a RouDi we started has died (or an attached one stopped answering).
  bool alive();
  bool started_by_us() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }
  /// Stops the RouDi we started: SIGTERM, then SIGKILL after `grace`. No-op when attached.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000)) noexcept;

 private:
  pid_t pid_ = -1;
  bool attached_ = false;
  bool dead_ = false;
};

}  // namespace sgn::detail
