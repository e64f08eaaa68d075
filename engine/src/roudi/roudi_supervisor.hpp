#pragma once
// RouDi, the iceoryx daemon (one per machine). If one runs, the engine attaches.
// Otherwise it starts one through a keeper (process/roudi_keeper.hpp), which
// stops it once no sgn process uses it, however they ended; never iceoryx's own
// 60 s wait-then-abort. The engine's files live in its private runtime
// directory (process/runtime_dir.hpp):
//
//   roudi.users  every process using an engine-started RouDi holds a shared
//                flock on it for its life; byte 0 is the start lock (an OFD
//                lock): one process starts RouDi, those coming meanwhile wait
//                and attach. Creating it, every later decision (start, attach,
//                adopt, clean up stale files) is made under that lock.
//   roudi.pid    the engine-started RouDi and its keeper (pid + start time),
//                written once RouDi answers. A pid is believed only for a live
//                process of our uid with that start time and the right name.
//   roudi.toml   the config that RouDi runs with (later users read its pools).
//   roudi.log    RouDi's own output.
//
// A RouDi the engine did not start (by hand, or another user's) is used but
// never locked, adopted or stopped.
//
// iceoryx 2.0.3's own names are fixed and world-visible; what protects them:
//   /tmp/roudi (socket), /tmp/roudi.lock, /tmp/iox-unique-roudi.lock,
//   /dev/shm/iceoryx_mgmt, /dev/shm/<group> (the data segment is named after
//   RouDi's effective group, e.g. "root", "nogroup"; checked here, not the user):
//   - before starting RouDi, each must be absent or a non-link of our uid, else
//     the start is refused naming the path and its owner (root included: it
//     must not follow or reuse another user's file);
//   - stale ones are removed only while no live process holds the unique lock,
//     and only if ours and not links (lstat);
//   - readiness is a connect() to the socket, which can only reach a RouDi;
//     the keeper probes the RouDi it started and watches that process.
//   /tmp and /dev/shm being world-writable remains: another user can squat a
//   name first (then we refuse), and anyone can connect to a RouDi's socket.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roudi/runtime_dir.hpp"
#include "sgn/error.hpp"

namespace sgn::detail {

/// ensure_running() gave up because its `cancelled` callback returned true.
class StartCancelled : public Error {
 public:
  using Error::Error;
};

class StartWait;

/// /dev/shm/<name of our effective group>: the data segment a RouDi we start makes.
std::string iceoryx_data_segment_path();

/// iceoryx 2.0.3's fixed paths, and where the engine keeps its own files.
struct RoudiPaths {
  std::string socket = "/tmp/roudi";
  std::string unique_lock = "/tmp/iox-unique-roudi.lock";
  std::string socket_lock = "/tmp/roudi.lock";
  std::string management_shm = "/dev/shm/iceoryx_mgmt";
  std::vector<std::string> data_shm{iceoryx_data_segment_path()};
  std::string runtime_dir;           // empty: runtime_dir_location()
  std::string shm_dir = "/dev/shm";  // where dead runs' sgn.<token>.* segments are
  std::string tmp_dir = "/tmp";      // where dead runs' iceoryx files sgn_<token>_* are
  std::string roudi_command = "iox-roudi";  // looked up on PATH
};

/// iceoryx's files for `paths`, the unique lock last.
std::vector<std::string> iceoryx_files(const RoudiPaths& paths);
/// A RouDi answers on its socket.
bool roudi_answers(const RoudiPaths& paths = {});
/// A live process holds RouDi's unique lock.
bool roudi_lock_held(const RoudiPaths& paths = {});
/// Removes files of a crashed RouDi (ours, not links), only when no live RouDi
/// holds the lock. Returns the paths removed.
std::vector<std::string> remove_stale_roudi_files(const RoudiPaths& paths = {});
/// Throws sgn::Error naming the path and its owner if one of iceoryx's files is
/// a symbolic link or belongs to another uid.
void check_iceoryx_paths(const RoudiPaths& paths);
/// The pid holding a flock on `path`, from /proc/locks; -1 if none is seen.
pid_t flock_holder(const std::string& path);

/// A process's start time (field 22 of /proc/<pid>/stat); empty if it is gone.
std::optional<unsigned long long> process_start_time(pid_t pid);
/// `pid` is a live process (not a zombie) of our uid, started at `start_time`, named `comm`.
bool process_is(pid_t pid, unsigned long long start_time, std::string_view comm);

/// roudi.pid: the engine-started RouDi and its keeper.
struct EngineRecord {
  pid_t roudi_pid = -1;
  unsigned long long roudi_start = 0;
  pid_t keeper_pid = -1;
  unsigned long long keeper_start = 0;

  /// Empty if `text` is not "<pid> <start>\n<pid> <start>\n".
  static std::optional<EngineRecord> parse(std::string_view text);
  std::string text() const;
  bool roudi_alive() const;
  bool keeper_alive() const;
};

class RoudiSupervisor {
 public:
  explicit RoudiSupervisor(RoudiPaths paths = {});
  ~RoudiSupervisor();
  RoudiSupervisor(const RoudiSupervisor&) = delete;
  RoudiSupervisor& operator=(const RoudiSupervisor&) = delete;

  /// The engine's runtime directory, opened (and created) on first use.
  const RuntimeDir& runtime_dir();
  /// Attaches to a running RouDi or starts one with `config_text`, within
  /// `timeout`. Before starting one, checks that /dev/shm has `shm_bytes` free.
  /// Every wait checks `cancelled` at least every 10 ms; if it returns true, the
  /// start is abandoned (locks released, a half-started RouDi stopped) and
  /// StartCancelled is thrown. Other failures throw sgn::Error saying what went
  /// wrong (binary missing, exited with status N, not ready in time, ...).
  void ensure_running(const std::string& config_text, std::size_t shm_bytes, std::chrono::milliseconds timeout,
                      const std::function<bool()>& cancelled = {});
  /// False once the RouDi in use has died.
  bool alive();
  /// This process started the RouDi in use.
  bool started_by_us() const noexcept { return use_ == Use::Started; }
  /// A RouDi is in use (started, joined or someone else's).
  bool in_use() const noexcept { return use_ != Use::None; }
  /// The RouDi in use, if known.
  pid_t pid() const noexcept { return pid_; }
  /// A pidfd of the RouDi in use, owned here; -1 if not known (a RouDi of
  /// someone else's whose unique lock holder cannot be seen).
  int roudi_pidfd();
  /// How errors name the config RouDi would start with ("the default preset") and what
  /// they suggest when /dev/shm is too small for it.
  void describe_config(std::string name, std::string advice) {
    config_name_ = std::move(name);
    shm_advice_ = std::move(advice);
  }
  /// The config of the engine-started RouDi in use; empty for someone else's RouDi.
  std::optional<std::string> engine_config_text() const { return config_text_; }
  /// Stops using RouDi: releases this process's shared lock. No waiting, no
  /// signals: the keeper stops an engine-started RouDi once its last user is gone.
  void leave() noexcept;

  /// Takes this process's shared lock on roudi.users (ensure_running does it
  /// first); false if it cannot within `timeout`.
  bool join_users(std::chrono::milliseconds timeout);

 private:
  enum class Use { None, Started, Joined, Foreign };

  bool join_users(const StartWait& wait);
  bool lock_start(const StartWait& wait);
  void unlock_start() noexcept;
  void release_users(bool remove_if_last) noexcept;
  UniqueFd keeper_users_fd();
  bool use_under_start_lock(const std::string& config_text, std::size_t shm_bytes, const StartWait& wait);
  void attach_foreign(const char* whose);
  void attach_engine(const EngineRecord& record, const StartWait& wait);
  void start(const std::string& config_text, std::size_t shm_bytes, const StartWait& wait);
  void record_engine_roudi(pid_t roudi, pid_t keeper);

  RoudiPaths paths_;
  std::optional<RuntimeDir> dir_;
  UniqueFd users_fd_;
  UniqueFd pidfd_;  // the RouDi in use
  pid_t pid_ = -1;
  Use use_ = Use::None;
  bool dead_ = false;
  bool looked_for_holder_ = false;
  bool users_file_unclaimed_ = false;  // under the start lock, no live engine RouDi uses roudi.users
  std::optional<std::string> config_text_;
  std::string config_name_ = "its config";
  std::string shm_advice_ = "free some or use a smaller config (SGN_ROUDI_CONFIG)";
};

}  // namespace sgn::detail
