#pragma once
// The one owner of this process's iceoryx state: the RouDi it attached to or
// started, and the iceoryx runtime (once per process, never re-created).

#include <chrono>
#include <cstddef>
#include <string>

#include "process/mempool_table.hpp"
#include "process/roudi_supervisor.hpp"

namespace sgn::detail {

class ProcessRuntime {
 public:
  static ProcessRuntime& instance();

  /// In the main process: RouDi running (attached or started), runtime "sgn-<pid>" up.
  void ensure_main();
  /// In a worker process: RouDi must already answer; runtime "sgn-w-<pid>" up.
  void ensure_worker();
  RoudiSupervisor& roudi() noexcept { return roudi_; }
  /// The mempools of the RouDi config in use.
  const MempoolTable& mempools() const noexcept { return mempools_; }
  /// Stops a RouDi this process started (workers must be gone). Runs at exit too.
  void shutdown() noexcept;
  /// A worker died without unregistering: RouDi needs ~1.5 s to notice, and
  /// aborts if it is stopped before, so shutdown() waits that long after it.
  /// Also removes the files the dead worker's runtime left in /tmp.
  void note_unclean_exit(long worker_pid) noexcept;

 private:
  ProcessRuntime() = default;
  void init_iceoryx(const std::string& name);

  RoudiSupervisor roudi_;
  bool runtime_up_ = false;
  MempoolTable mempools_;
  std::chrono::steady_clock::time_point last_unclean_exit_{};
};

/// The RouDi config text the engine uses (SGN_ROUDI_CONFIG file, or the built-in default).
std::string roudi_config_text();

}  // namespace sgn::detail
