#pragma once
// The RouDi keeper: a small daemon that owns a RouDi the engine started and
// stops it once no sgn process uses it any more, however those processes ended.
//
// Every sgn process using an engine-started RouDi holds a shared flock on its
// own open file description of <rundir>/roudi.users; the kernel drops it when
// the process dies, SIGKILL included, so a user's exit never waits for anything.
// The keeper opens its own description of that file (one inherited from its
// starter would share the starter's shared lock, and it would wait on itself)
// and blocks in flock(LOCK_EX): new shared locks are still granted while it
// waits, and it wakes when the last user's lock goes. It then stops RouDi with
// SIGKILL (a graceful RouDi SIGTERMs and SIGKILLs every app still registered, by
// pid: with `-m off` a killed worker stays registered, so that could hit a
// reused pid; with no user left, nothing is lost), removes iceoryx's files, the
// files of dead sgn runs and its own, and exits. When RouDi dies on its own
// (SIGCHLD, or a 200 ms timer for a RouDi it adopted) it cleans up the same way
// at once, then stays until the last process that used that RouDi is gone and
// reaps what those left (their exit cannot rely on a dead RouDi). SIGTERM stops
// RouDi the same way and ends the keeper after the cleanup.
//
// The keeper is forked from a threaded process: from fork() on it makes only
// async-signal-safe calls (raw system calls, stack buffers, no allocation, no
// logging). Everything it needs is prepared before the fork.
//
// Cleanup of shared names (roudi.pid, roudi.toml, roudi.log, roudi.users and
// iceoryx's fixed files) happens under the start lock (an OFD lock on byte 0 of
// roudi.users, the one starters hold), only while that file is still the one
// in place and roudi.pid names no other RouDi: a keeper never removes what a
// newer start made.

#include <sys/types.h>
#include <sys/un.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "roudi/runtime_dir.hpp"

namespace sgn::detail {

/// File names in the runtime directory.
inline constexpr char kUsersFile[] = "roudi.users";   // shared-locked by every user; byte 0: the start lock
inline constexpr char kEnginePidFile[] = "roudi.pid"; // "<roudi pid> <start>\n<keeper pid> <start>\n"
inline constexpr char kConfigFile[] = "roudi.toml";   // the config of the engine-started RouDi
inline constexpr char kLogFile[] = "roudi.log";       // RouDi's stdout and stderr
/// /proc/<pid>/comm of a keeper.
inline constexpr char kKeeperName[] = "sgn-roudi-keep";

/// What the keeper tells its starter through a pipe, one write() each.
struct KeeperReport {
  enum Kind : std::int32_t {
    kSpawned = 1,  // RouDi's process exists (roudi_pid)
    kReady,        // RouDi answers on its socket
    kExited,       // RouDi exited before it answered; detail: its wait status
    kExecFailed,   // exec of RouDi failed; detail: errno
    kStopped,      // the keeper got SIGTERM, or RouDi did not answer in the keeper's own limit
  };
  std::int32_t kind = 0;
  std::int32_t roudi_pid = -1;
  std::int32_t keeper_pid = -1;
  std::int32_t detail = 0;
};

/// Everything a keeper needs. Descriptors are borrowed; the caller closes its copies.
struct KeeperPlan {
  int rundir_fd = -1;    // the runtime directory
  int users_fd = -1;     // the keeper's own open file description of roudi.users
  int log_fd = -1;       // start: RouDi's stdout and stderr
  pid_t roudi_pid = -1;  // adopt: the running RouDi to keep (then roudi_pidfd too)
  int roudi_pidfd = -1;
  std::vector<std::string> command;  // start: iox-roudi's absolute path and its arguments
  std::string socket;                // RouDi's socket, probed for readiness
  std::string unique_lock;           // iceoryx's lock: its files are stale only while nobody holds it
  std::vector<std::string> iceoryx_files;  // removed after RouDi ends (ours, not links)
  std::string shm_dir = "/dev/shm";        // for reap_dead_runs_at
  std::string tmp_dir = "/tmp";
  std::chrono::milliseconds ready_limit{20000};  // the keeper's own bound on RouDi's start
};

/// Starts a keeper by a double fork (it is nobody's child and outlives us): it
/// starts RouDi (or adopts `roudi_pid`) and reports. Returns the read end of its
/// report pipe; closing it before kReady tells the keeper to give up.
UniqueFd launch_keeper(const KeeperPlan& plan);

// Async-signal-safe pieces the supervisor shares with the keeper.

/// connect() to a unix datagram socket succeeds (a RouDi is bound to it).
bool socket_answers(const char* path) noexcept;
/// A live process holds the flock on `path` (a link counts as held: we cannot tell).
bool unique_lock_held(const char* path) noexcept;
/// Unlinks `path` if it is ours and neither a link nor a directory.
bool remove_if_ours(const char* path) noexcept;

}  // namespace sgn::detail
