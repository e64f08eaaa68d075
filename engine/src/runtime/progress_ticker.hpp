#pragma once
// PipelineOptions::progress: called from run()'s main loop at most once per interval.

#include <chrono>

#include "graph/node.hpp"
#include "sgn/pipeline.hpp"

namespace sgn::detail {

class ProgressTicker {
 public:
  using Clock = std::chrono::steady_clock;
  ProgressTicker(const PipelineOptions& options, const RunControl& control, Clock::time_point started)
      : callback_(options.progress), interval_(options.progress_interval), control_(control), started_(started),
        next_(started + options.progress_interval) {}

  /// When the next tick is due, in monotonic_ns() time; 0 without a callback.
  std::int64_t next_ns() const noexcept {
    if (!callback_) return 0;
    return std::chrono::duration_cast<std::chrono::nanoseconds>(next_.time_since_epoch()).count();
  }
  /// Calls the callback if one is set and the interval has passed since the last call.
  void tick() noexcept {
    if (!callback_) return;
    const auto now = Clock::now();
    if (now < next_) return;
    next_ = now + interval_;
    try {
      callback_(Progress{control_.sink_frames.load(std::memory_order_relaxed),
                         control_.sink_bytes.load(std::memory_order_relaxed), now - started_});
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
};

}  // namespace sgn::detail
