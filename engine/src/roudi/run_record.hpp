#pragma once
// Records of live sgn processes, and the cleanup of dead ones.
//
// Every process that uses process mode has a random token, and everything it
// makes in shared places carries it: POSIX shm segments "/sgn.<token>.<...>"
// (files /dev/shm/sgn.<token>.*) and iceoryx runtimes "sgn_<token>_<...>"
// (iceoryx makes /tmp/sgn_<token>_<...> and its ".lock"). The process creates
// <rundir>/run-<token> and holds an exclusive flock on it for its whole life;
// the kernel drops the lock however the process ends, SIGKILL included. A record
// whose lock can be taken is a dead process's: its files can go. A lock cannot be
// fooled by pid reuse, which a pid check could.

#include <string>
#include <vector>

#include "roudi/runtime_dir.hpp"

namespace sgn::detail {

/// This process's token: 16 lowercase hex digits from getrandom, fixed for its life.
const std::string& process_token();

/// Creates <dir>/run-<token> (holding the pid) and keeps an exclusive lock on it
/// until the process ends. Does nothing the second time.
void ensure_process_record(const RuntimeDir& dir);

/// At a normal exit: removes this process's record if nothing carrying its token
/// is left in `shm_dir` or `tmp_dir`, after removing what is left if
/// `remove_leftovers` (nothing may use it any more: no RouDi lives); otherwise
/// the record stays for the next reaper.
void retire_process_record(bool remove_leftovers, const char* shm_dir = "/dev/shm",
                           const char* tmp_dir = "/tmp") noexcept;

/// Told about each entry reap_dead_runs_at() removes: its directory and name.
/// `dir` is null for a record in the runtime directory.
using ReapedEntry = void (*)(void* context, const char* dir, const char* name) noexcept;

/// Async-signal-safe (raw system calls, stack buffers, no allocation), for the
/// RouDi keeper, a fork child of a threaded process. For each record in the
/// directory open at `rundir_fd` whose owner is dead (its lock can be taken):
/// removes `shm_dir`/sgn.<token>.* and `tmp_dir`/sgn_<token>_* entries that are
/// ours and neither links nor directories, then the record. Returns how many
/// entries it removed; `live_records`, if given, gets how many records are
/// still locked (their owners live, or are dying right now).
int reap_dead_runs_at(int rundir_fd, const char* shm_dir, const char* tmp_dir, ReapedEntry removed = nullptr,
                      void* context = nullptr, int* live_records = nullptr) noexcept;

/// reap_dead_runs_at() for normal callers: the paths it removed.
std::vector<std::string> reap_dead_runs(const RuntimeDir& dir, const std::string& shm_dir = "/dev/shm",
                                        const std::string& tmp_dir = "/tmp");

}  // namespace sgn::detail
