#pragma once
// A running element: its ports, its counters, and the one place where its
// exceptions are caught and named. Driven by the main scheduler or a worker loop.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "detail/channel.hpp"
#include "detail/latency_histogram.hpp"
#include "detail/waker.hpp"
#include "sgn/element.hpp"
#include "sgn/stats.hpp"

namespace sgn::detail {

/// State shared by every node of one run. Read-mostly flags, per-frame counters and
/// the main waker sit on separate cache lines: a sink counting frames must not make
/// every worker's look at the flags miss.
struct RunControl {
  static constexpr std::size_t kLine = 64;
  alignas(kLine) std::atomic<bool> eos_requested{false};  // sources end with EOS, the pipeline drains
  std::atomic<bool> stop_requested{false};  // everything ends now
  std::atomic<bool> failed{false};
  std::atomic<bool> interrupted{false};     // a signal or a request from outside asked to end
  alignas(kLine) std::atomic<std::uint64_t> sink_frames{0};  // data frames into sinks of this process (Progress)
  std::atomic<std::uint64_t> sink_bytes{0};
  alignas(kLine) Waker local_main_waker;
  alignas(kLine) Waker* main_waker = &local_main_waker;  // in process mode: the main process's shared waker
  std::vector<Waker*> all_wakers;  // fixed before run starts; notified on requests
  std::function<void()> poll_commands;  // a worker process reads its control topic here
  void notify_all() noexcept {
    for (Waker* w : all_wakers) w->notify();
  }
};

struct InputPort {
  std::string pad;
  std::string what;  // "element:pad", for messages
  FrameChannel* channel = nullptr;
  bool eos = false;     // EOS received
  bool ended = false;   // EOS received, or closed by a producer that failed
};

struct OutputPort {
  std::string pad;
  std::string what;
  std::vector<FrameChannel*> channels;
  FrameAllocator* allocator = nullptr;
  std::uint64_t next_sequence = 0;
  bool eos_sent = false;
};

class Node {
 public:
  Node(std::unique_ptr<Element> element, Placement placement, RunControl& control);

  Element& element() noexcept { return *element_; }
  std::unique_ptr<Element> release_element() noexcept { return std::move(element_); }
  const Element& element() const noexcept { return *element_; }
  const std::string& name() const noexcept { return name_; }
  Placement placement() const noexcept { return placement_; }
  RunControl& control() const noexcept { return control_; }
  Waker& waker() noexcept { return *waker_; }
  void use_own_waker() { own_waker_ = std::make_unique<Waker>(); waker_ = own_waker_.get(); }
  /// Gives the element the run's shared data.
  void share(const SharedTable* table) noexcept { element_->shared_ = table; }
  /// Sleeps on `waker` (a shared one, in process mode) instead.
  void use_waker(Waker* waker) noexcept { waker_ = waker; }

  std::vector<InputPort> inputs;
  std::vector<OutputPort> outputs;

  /// One step; element exceptions propagate as they are (the caller names them).
  StepResult step();
  void start();
  void finish() noexcept;
  bool finished() const noexcept { return phase_ == Phase::Finished; }
  /// The element's own work is over (EOS, or it ended early); it may still be draining.
  /// Safe to read from any thread.
  bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }
  /// The pad that was being served when an exception left the element.
  const std::string& current_pad() const noexcept { return current_pad_; }
  std::uint64_t current_sequence() const noexcept { return current_sequence_; }

  // For the step helpers and pads.
  bool outputs_have_space() const noexcept;
  /// Pops a frame from input `index`; marks EOS/closure and counts it.
  bool pop(std::size_t index, Frame& out);
  FrameWriter loan(std::size_t output, std::size_t bytes);
  /// Publishes to every channel of `output`; there must be room (checked by the caller).
  void publish(std::size_t output, Frame frame);
  /// Publishes, waiting for room; false if a stop came first (frame counted as discarded).
  bool publish_waiting(std::size_t output, Frame frame);
  /// Fills sequence and timestamp of a writer for `output`.
  void stamp(std::size_t output, FrameHeader& header, const FrameHeader* input);
  /// Sends EOS on every output that has not had it, waiting for room if `wait`.
  bool publish_eos(bool wait);
  void close_outputs() noexcept;
  /// Waits on this node's waker until `ready()` or a stop; false on stop.
  template <class Ready>
  bool wait_until(Ready ready);

  ElementStats stats() const;
  std::uint64_t& discarded() noexcept { return discarded_; }
  void set_pid(long pid) noexcept { pid_ = pid; }
  long pid() const noexcept { return pid_; }

  std::exception_ptr error;  // set by a worker loop that caught one

 private:
  enum class Phase { Running, Draining, Finished };
  std::unique_ptr<Element> element_;
  std::string name_;  // kept after the element is handed back
  Placement placement_;
  RunControl& control_;
  std::unique_ptr<Waker> own_waker_;
  Waker* waker_;
  Phase phase_ = Phase::Running;
  std::atomic<bool> ended_{false};
  std::string current_pad_;
  std::uint64_t current_sequence_ = 0;
  bool finished_called_ = false;
  long pid_ = 0;

  std::uint64_t frames_in_ = 0, frames_out_ = 0, bytes_in_ = 0, bytes_out_ = 0, gaps_ = 0,
                discarded_ = 0;
  static constexpr std::int64_t kLatencySampleSpacingNs = 10'000;
  std::int64_t last_latency_sample_ns_ = INT64_MIN / 2;
  LatencyHistogram latency_;
};

template <class Ready>
bool Node::wait_until(Ready ready) {
  bool stopped = false;
  auto settled = [&] {
    if (control_.poll_commands) control_.poll_commands();
    stopped = control_.stop_requested.load(std::memory_order_relaxed);
    return stopped || ready();
  };
  while (!waker_->wait_unless(settled, std::chrono::milliseconds(100))) {
  }
  return !stopped;
}

}  // namespace sgn::detail
