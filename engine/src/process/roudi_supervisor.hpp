#pragma once
// RouDi, the iceoryx daemon (one per machine). If one runs, the engine attaches.
// Otherwise it starts one, detached from this process (its own session, so a
// Ctrl+C or the exit of the process that started it does not take it down
// under other users), and waits (briefly) until it answers: never iceoryx's own
// 60 s wait-then-abort. Every sgn process using a RouDi holds a shared lock on
// /tmp/sgn-roudi.users; at exit, the process that can take it exclusively is the
// last user and stops the RouDi if the engine started it. A RouDi started by
// someone else is never stopped. Starting is serialised between sgn processes
// by a lock on byte 0 of that file: whoever comes while another starts RouDi
// waits for it and attaches.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace sgn::detail {

/// iceoryx 2.0.3 default paths, and the engine's own.
struct RoudiPaths {
  std::string socket = "/tmp/roudi";
  std::string unique_lock = "/tmp/iox-unique-roudi.lock";
  std::string socket_lock = "/tmp/roudi.lock";
  std::string management_shm = "/dev/shm/iceoryx_mgmt";
  std::vector<std::string> data_shm{"/dev/shm/root"};
  std::string users_lock = "/tmp/sgn-roudi.users";  // shared-locked by every sgn user
  std::string engine_pid = "/tmp/sgn-roudi.pid";    // a RouDi the engine started
};

/// A RouDi answers on its socket.
bool roudi_answers(const RoudiPaths& paths = {});
/// A live process holds RouDi's unique lock.
bool roudi_lock_held(const RoudiPaths& paths = {});
/// Removes files of a crashed RouDi, only when no live RouDi holds the lock.
/// Returns the paths removed.
std::vector<std::string> remove_stale_roudi_files(const RoudiPaths& paths = {});

/// Async-signal-safe: if this process is the last user of an engine-started
/// RouDi, sends it SIGTERM (for the fatal-signal path, where nothing else runs).
void roudi_emergency_stop() noexcept;

class RoudiSupervisor {
 public:
  explicit RoudiSupervisor(RoudiPaths paths = {}) : paths_(std::move(paths)) {}
  ~RoudiSupervisor();
  RoudiSupervisor(const RoudiSupervisor&) = delete;
  RoudiSupervisor& operator=(const RoudiSupervisor&) = delete;

  /// Attaches to a running RouDi or starts one with `config_file`. Throws sgn::Error
  /// with what went wrong (binary missing, exited with status N, not ready in time).
  /// Before starting one, checks that /dev/shm has `shm_bytes` free.
  void ensure_running(const std::string& config_file, std::size_t shm_bytes, std::chrono::milliseconds timeout);
  /// False once the RouDi in use has died.
  bool alive();
  /// This process started the RouDi in use.
  bool started_by_us() const noexcept { return started_; }
  pid_t pid() const noexcept { return pid_; }
  /// Leaves the RouDi: if this was its last user and the engine started it, stops
  /// it (SIGTERM, then SIGKILL after `grace`). Never stops a RouDi started elsewhere.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000)) noexcept;

  /// Takes this process's shared lock on the users file (ensure_running does it
  /// first); false if it cannot within `timeout`.
  bool join_users(std::chrono::milliseconds timeout);

 private:
  bool lock_start(std::chrono::steady_clock::time_point deadline);
  void unlock_start() noexcept;
  void adopt_engine_roudi();

  RoudiPaths paths_;
  int users_fd_ = -1;
  pid_t pid_ = -1;     // the engine-started RouDi in use, if any
  int pidfd_ = -1;     // readable once it has exited
  bool started_ = false;
  bool attached_ = false;
  bool dead_ = false;
};

}  // namespace sgn::detail
