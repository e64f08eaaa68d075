#pragma once
// The one owner of this process's iceoryx state: the RouDi it attached to or
// started, and the iceoryx runtime (once per process, never re-created).

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>

#include "roudi/mempool_table.hpp"
#include "roudi/roudi_supervisor.hpp"

namespace sgn::detail {

class ProcessRuntime {
 public:
  static ProcessRuntime& instance();

  /// In the main process: dead runs cleaned up, this process recorded, RouDi
  /// running (attached or started), runtime "sgn_<token>_main" up. Throws
  /// StartCancelled if `cancelled` returns true while it waits for RouDi (or for
  /// another pipeline of this process that is starting it). Thread-safe.
  void ensure_main(const std::function<bool()>& cancelled = {});
  /// In a worker process: RouDi must already answer; runtime "sgn-w-<pid>" up.
  void ensure_worker();
  RoudiSupervisor& roudi() noexcept { return roudi_; }
  /// The mempools of the RouDi config in use.
  const MempoolTable& mempools() const noexcept { return mempools_; }
  /// Leaves RouDi (its keeper stops an engine-started one once its last user is
  /// gone) and retires this process's record. Runs at exit too.
  void shutdown() noexcept;
  /// A worker died without unregistering: removes the files its iceoryx runtime
  /// `runtime_name` left in /tmp. (RouDi runs without monitoring and is never told.)
  void note_unclean_exit(const std::string& runtime_name) noexcept;

 private:
  ProcessRuntime() = default;
  void init_iceoryx(const std::string& name);

  // Pipelines of one process may start at once: one of them attaches or starts RouDi.
  std::timed_mutex start_mutex_;
  RoudiSupervisor roudi_;
  bool runtime_up_ = false;
  MempoolTable mempools_;
  bool pools_known_ = false;  // mempools_ are those of the RouDi in use
};

/// The RouDi config text the engine uses: the SGN_ROUDI_CONFIG file, else the built-in
/// preset SGN_ROUDI_PRESET names (default, small).
std::string roudi_config_text();
/// SGN_ROUDI_PRESET, or "default".
std::string roudi_preset();

}  // namespace sgn::detail
