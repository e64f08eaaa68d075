#pragma once
// The one owner of this process's iceoryx state: the RouDi it attached to or
// started, and the iceoryx runtime (once per process, never re-created).

#include <cstddef>
#include <string>

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
  /// Largest message a frame may carry, from the RouDi config's largest mempool.
  std::size_t largest_chunk_payload() const noexcept { return largest_payload_; }
  /// Stops a RouDi this process started (workers must be gone). Runs at exit too.
  void shutdown() noexcept;

 private:
  ProcessRuntime() = default;
  void init_iceoryx(const std::string& name);
  void read_config_limits(const std::string& toml);

  RoudiSupervisor roudi_;
  bool runtime_up_ = false;
  std::size_t largest_payload_ = 0;
};

/// The RouDi config text the engine uses (SGN_ROUDI_CONFIG file, or the built-in default).
std::string roudi_config_text();

}  // namespace sgn::detail
