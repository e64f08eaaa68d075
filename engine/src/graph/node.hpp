#pragma once
// A running element: its ports and its counters. Driven by a StepLoop (the main
// thread's, a worker thread's or a worker process's), which records its exceptions.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/waker.hpp"
#include "common/waker_list.hpp"
#include "frames/frame_channel.hpp"
#include "sgn/element.hpp"
#include "sgn/latency_histogram.hpp"
#include "sgn/stats.hpp"

namespace sgn::detail {

/// What a node counted. A process-placed node keeps them in the run's shared control
/// block, so the main process reads them even when the worker died. One writer each:
/// add() is a plain load and store, never a locked instruction.
struct alignas(64) NodeCounters {
  std::atomic<std::uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0}, gaps{0}, discarded{0};
  std::atomic<std::uint64_t> copies{0};  // payload copies the element made (in-place fallback, data from a network)
  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

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
  WakerList all_wakers;  // notified on requests; filled while the run is built
  /// Process mode: an eventfd that wakes the main process's supervisor thread (-1: none).
  /// Withdrawn with withdraw_wake_fd(), never by a plain store: a request may be writing to it.
  std::atomic<int> wake_fd{-1};
  std::atomic<int> notifying{0};  // notify_all() calls under way (withdraw_wake_fd)
  std::function<void()> poll_commands;  // a worker process reads its control topic here
  /// Async-signal-safe: signal handlers and request_stop() call it, at any moment.
  void notify_all() noexcept;
  /// Takes wake_fd away from notify_all(); returns once none can still write to it, so
  /// that its owner may close it (else the number, reused by the next open(), could get
  /// a stray write).
  void withdraw_wake_fd() noexcept;
  /// A stop, or a failure: everything ends now.
  bool ending() const noexcept {
    return stop_requested.load(std::memory_order_relaxed) || failed.load(std::memory_order_relaxed);
  }
  /// ending(), once a worker process has read main's commands: for waits outside the step
  /// loop, which reads them otherwise.
  bool ending_after_commands() const {
    if (poll_commands) poll_commands();
    return ending();
  }
};

struct InputPort {
  std::string pad;
  std::string what;  // "element:pad", for messages
  FrameReceiver* receiver = nullptr;
  bool eos = false;     // EOS received
  bool ended = false;   // EOS received, or closed by a producer that failed
};

struct OutputPort {
  std::string pad;
  std::string what;
  std::vector<FrameSender*> senders;  // one per linked consumer
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
  /// Counts into `counters` (a slot of the shared control block, in process mode).
  void use_counters(NodeCounters* counters) noexcept { counters_ = counters; }
  NodeCounters& counters() noexcept { return *counters_; }
  const NodeCounters& counters() const noexcept { return *counters_; }
  /// Low-latency mode: how long the loop stepping this node busy-polls before it sleeps
  /// (0: the default, a short spin then a futex sleep).
  std::chrono::nanoseconds spin() const noexcept { return spin_; }
  void set_spin(std::chrono::nanoseconds spin) noexcept { spin_ = spin; }
  /// When a node's step returned WaitTime: the monotonic time it wants to be stepped again.
  std::int64_t wake_at_ns() const noexcept { return wake_at_ns_; }
  void set_wake_at_ns(std::int64_t at) noexcept { wake_at_ns_ = at; }

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
  /// Every channel of `output` can take a frame.
  bool output_has_space(std::size_t output) const noexcept;
  bool outputs_have_space() const noexcept;
  /// Pops a frame from input `index`; marks EOS/closure and counts it.
  bool pop(std::size_t index, Frame& out);
  FrameWriter loan(std::size_t output, std::size_t bytes);
  /// Publishes to every channel of `output`; there must be room (checked by the caller).
  void publish(std::size_t output, Frame frame);
  /// Publishes, waiting for room; false if a stop came first (the frame is dropped: it
  /// never left this element, so no link counts it).
  bool publish_waiting(std::size_t output, Frame frame);
  /// Fills sequence and timestamp of a writer for `output`.
  void stamp(std::size_t output, FrameHeader& header, const FrameHeader* input);
  /// `input` goes out on `output` as it is (its header is not written: others may read it).
  void note_forward(std::size_t output, const FrameHeader& input) noexcept {
    outputs[output].next_sequence = input.sequence + 1;
  }
  void add_copies(std::uint64_t n) noexcept { NodeCounters::add(counters_->copies, n); }
  /// Sends EOS on every output that has not had it, waiting for room if `wait`.
  bool publish_eos(bool wait);
  void close_outputs() noexcept;
  /// Wakes the peers that frames pushed or popped since the last call owe a wake-up.
  /// The loop that steps a node calls it after each visit (a burst of steps): an element
  /// that returns to the loop after every step wakes its peers once a burst, not once a
  /// frame (Node::start turns that on for every element that does not own its loop).
  void flush_wakes() noexcept {
    if (!defers_wakes_) return;
    for (OutputPort& out : outputs) {
      for (FrameSender* sender : out.senders) sender->flush_consumer_wake();
    }
    for (InputPort& in : inputs) {
      if (in.receiver) in.receiver->flush_producer_wake();
    }
  }
  /// Waits on this node's waker until `ready()` or a stop; false on stop.
  template <class Ready>
  bool wait_until(Ready ready);

  ElementStats stats() const;
  /// Counts data frames that reached this node's inputs but were never taken in.
  void add_discarded(std::uint64_t n) noexcept { NodeCounters::add(counters_->discarded, n); }
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
  std::chrono::nanoseconds spin_{0};
  Phase phase_ = Phase::Running;
  std::atomic<bool> ended_{false};
  std::string current_pad_;
  std::uint64_t current_sequence_ = 0;
  bool finished_called_ = false;
  bool defers_wakes_ = false;
  long pid_ = 0;
  std::int64_t wake_at_ns_ = 0;

  NodeCounters own_counters_;
  NodeCounters* counters_ = &own_counters_;
  static constexpr std::int64_t kLatencySampleSpacingNs = 10'000;
  std::int64_t last_latency_sample_ns_ = INT64_MIN / 2;
  LatencyHistogram latency_;
};

template <class Ready>
bool Node::wait_until(Ready ready) {
  flush_wakes();  // a peer this node owes a wake-up may be what it is about to wait for
  bool stopped = false;
  auto settled = [&] {
    stopped = control_.ending_after_commands();
    return stopped || ready();
  };
  while (!waker_->wait_unless(settled, std::chrono::milliseconds(100))) {
  }
  return !stopped;
}

}  // namespace sgn::detail
