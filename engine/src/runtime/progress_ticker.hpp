#pragma once
// PipelineOptions::progress: called from run()'s main loop at most once per interval.

#include <chrono>
#include <vector>

#include "graph/node.hpp"
#include "sgn/pipeline.hpp"

namespace sgn::detail {

class ProgressTicker {
 public:
  using Clock = std::chrono::steady_clock;
  /// `remote_sinks`: the counters (in the control block) of sinks in worker processes,
  /// which do not count into RunControl::sink_frames.
  ProgressTicker(const PipelineOptions& options, const RunControl& control, Clock::time_point started,
                 std::vector<const NodeCounters*> remote_sinks)
      : callback_(options.progress), interval_(options.progress_interval), control_(control), started_(started),
        next_(started + options.progress_interval), remote_sinks_(std::move(remote_sinks)) {}

  /// When the next tick is due, in monotonic_ns() time; 0 without a callback.
  std::int64_t next_ns() const noexcept {
    if (!callback_) return 0;
    return std::chrono::duration_cast<std::chrono::nanoseconds>(next_.time_since_epoch()).count();
  }
  /// Calls the callback if one is set and the interval has passed since the last call.
  void tick() noexcept {
    if (!callback_) return;
    const auto now = Clock::now();
    // A request to end is shown at once, not at the next interval.
    const bool draining = control_.interrupted.load(std::memory_order_relaxed);
    const bool stopping = control_.stop_requested.load(std::memory_order_relaxed);
    const bool news = draining != draining_ || stopping != stopping_;
    if (now < next_ && !news) return;
    next_ = now + interval_;
    draining_ = draining;
    stopping_ = stopping;
    Progress p{control_.sink_frames.load(std::memory_order_relaxed), control_.sink_bytes.load(std::memory_order_relaxed),
               now - started_, draining, stopping};
    for (const NodeCounters* sink : remote_sinks_) {
      p.frames += sink->frames_in.load(std::memory_order_relaxed);
      p.bytes += sink->bytes_in.load(std::memory_order_relaxed);
    }
    try {
      callback_(p);
    } catch (...) {
      // A display callback must not end the run.
    }
  }

 private:
  const std::function<void(const Progress&)>& callback_;
  std::chrono::milliseconds interval_;
  const RunControl& control_;
  Clock::time_point started_;
  Clock::time_point next_;
  std::vector<const NodeCounters*> remote_sinks_;
  bool draining_ = false, stopping_ = false;
};

}  // namespace sgn::detail
