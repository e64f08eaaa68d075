#pragma once
// What a Harness shares with the elements it runs around the element under test.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sgn/pipeline.hpp"
#include "sgn/testing/harness.hpp"

namespace sgn::testing {

namespace detail {

/// How often the harness's own elements look at the run's stop and shutdown flags while
/// they wait for the test (the engine wakes its own waits; ours are on the harness's
/// condition variable, which the engine does not know).
constexpr std::chrono::milliseconds kPollInterval{5};

/// One push of the test, queued for an input pad.
struct InputItem {
  enum class Kind { Data, Gap, Eos } kind = Kind::Data;
  std::uint64_t schema_id = 0;
  std::int64_t timestamp_ns = 0;
  std::vector<capnp::word> words;
};

}  // namespace detail

/// Written by the test's thread and the harness's elements, under `mutex`; `changed`
/// tells both sides of every change.
struct Harness::State {
  std::string name;
  std::string type_name;
  HarnessOptions options;
  Placement placement = Placement::Main;
  std::vector<PadSpec> inputs, outputs;

  mutable std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::deque<detail::InputItem>> input_queues;
  std::vector<bool> input_closed;  // push_eos() queued there
  std::vector<std::deque<std::shared_ptr<const detail::CapturedFrame>>> output_queues;
  std::vector<bool> eos_pulled;  // pull_eos() or pull_all() took the pad's EOS
  bool draining = false;  // finish(): keep taking outputs beyond max_held_frames
  std::size_t collectors_running = 0;
  bool ended = false;
  bool finished = false;  // finish() or stop() returned or threw: report and element readable
  std::exception_ptr error;
  RunReport report;

  Registry registry;
  std::unique_ptr<Pipeline> pipeline;
  std::thread runner;

  /// Waits until `ready` holds or `timeout` passes; false on timeout. Holds `lock`.
  template <class Ready>
  bool wait(std::unique_lock<std::mutex>& lock, Millis timeout, Ready ready) {
    return changed.wait_until(lock, std::chrono::steady_clock::now() + timeout, ready);
  }
};

}  // namespace sgn::testing
