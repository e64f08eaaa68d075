#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/pipeline.hpp>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <future>
#include <numeric>
#include <optional>
#include <thread>

#include "support/run_helpers.hpp"
#include "support/test_elements.hpp"

namespace sgn {
namespace {

using namespace std::chrono_literals;
using test::Clock;
using test::run_within;
using test::seconds_since;
using test::SinkRecord;

std::size_t frames_seen(SinkRecord& record) {
  std::lock_guard lock(record.mutex);
  return record.sequences.size();
}

// Waits (bounded) until `ready()`; false if it never became true.
template <class F>
bool wait_for(F ready, std::chrono::milliseconds limit = 5s) {
  const auto deadline = Clock::now() + limit;
  while (!ready()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

std::vector<std::uint64_t> iota(std::uint64_t n) {
  std::vector<std::uint64_t> out(n);
  std::iota(out.begin(), out.end(), 0);
  return out;
}

// Every frame a producer published was taken in or counted as discarded downstream.
void expect_conserved(const RunReport& report, const std::string& producer, const std::string& consumer) {
  const ElementStats& p = *report.find(producer);
  const ElementStats& c = *report.find(consumer);
  EXPECT_EQ(p.frames_out, c.frames_in + c.discarded) << producer << " -> " << consumer;
}

class ThreadModeTest : public ::testing::TestWithParam<Placement> {
 protected:
  void SetUp() override { test::register_test_elements(registry_); }
  Registry registry_;
  Placement placement() const { return GetParam(); }
  bool in_worker() const { return GetParam() != Placement::Main; }

  // The error run() throws for a transform "t" failing at frame 5, checked in full.
  void expect_transform_failure(Pipeline& p) {
    const auto started = Clock::now();
    try {
      run_within(p);
      FAIL() << "run() returned normally";
    } catch (const ElementError& e) {
      EXPECT_LT(seconds_since(started), 2.0);
      const std::string what = e.what();
      EXPECT_EQ(e.element(), "t");
      EXPECT_NE(what.find("'t'"), std::string::npos) << what;
      EXPECT_NE(what.find("pad 'in'"), std::string::npos) << what;
      EXPECT_NE(what.find("frame 5"), std::string::npos) << what;
      // The same, as fields (sgn-launch's JSON reads these, not the text).
      EXPECT_EQ(e.site().element, "t");
      EXPECT_EQ(e.site().placement, placement());
      EXPECT_EQ(e.site().pid, static_cast<long>(::getpid()));
      EXPECT_EQ(e.site().pad, "in");
      EXPECT_EQ(e.site().sequence, std::optional<std::uint64_t>(5));
      EXPECT_EQ(dynamic_cast<const WorkerError*>(&e) != nullptr, in_worker()) << what;
      EXPECT_EQ(what.find("worker stopped before EOS") != std::string::npos, in_worker()) << what;
      try {
        std::rethrow_if_nested(e);
        FAIL() << "no nested exception";
      } catch (const std::out_of_range& original) {
        EXPECT_STREQ(original.what(), "test-transform refuses frame 5");
      }
      const std::string described = describe_exception(e);
      EXPECT_NE(described.find("caused by: test-transform refuses frame 5"), std::string::npos) << described;
    }
  }
};

TEST_P(ThreadModeTest, ElementExceptionIsNamedNestedAndPrompt) {
  Pipeline p(PipelineOptions{.registry = &registry_});
  p.add("test-count-source", "src", {{"count", "1000"}})
      .add("test-transform", "t", {{"throw_at", "5"}}, placement())
      .add("test-check-sink", "sink", {{"record", "fail-1"}});
  p.link("src", "t").link("t", "sink");
  expect_transform_failure(p);
}

TEST_P(ThreadModeTest, ExceptionDoesNotHangWhenMainWaitsOnTheDeadElement) {
  auto& record = SinkRecord::fresh("fail-2");
  Pipeline p(PipelineOptions{.queue_maxsize = 2, .registry = &registry_});
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-transform", "t", {{"throw_at", "5"}}, placement())
      .add("test-check-sink", "sink", {{"record", "fail-2"}});
  p.link("src", "t").link("t", "sink");
  expect_transform_failure(p);
  EXPECT_LE(frames_seen(record), 5u);
}

TEST_P(ThreadModeTest, ExceptionWithEveryoneInWorkers) {
  Pipeline p(PipelineOptions{.default_placement = Placement::Thread, .queue_maxsize = 2, .registry = &registry_});
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-transform", "t", {{"throw_at", "5"}}, placement())
      .add("test-transform", "after")
      .add("test-check-sink", "sink", {{"record", "fail-3"}, {"sleep_us", "1000"}});
  p.link("src", "t").link("t", "after").link("after", "sink");
  expect_transform_failure(p);
}

TEST_P(ThreadModeTest, SourceExceptionNamesItsOutputPadAndFrame) {
  Pipeline p(PipelineOptions{.registry = &registry_});
  p.add("test-count-source", "src", {{"count", "-1"}, {"throw_at", "3"}}, placement())
      .add("test-check-sink", "sink", {{"record", "fail-src"}}, Placement::Thread);
  p.link("src", "sink");
  try {
    run_within(p);
    FAIL() << "run() returned normally";
  } catch (const ElementError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.element(), "src");
    EXPECT_NE(what.find("pad 'out', frame 3"), std::string::npos) << what;
    EXPECT_EQ(what.find("worker stopped before EOS") != std::string::npos, in_worker()) << what;
    EXPECT_THROW(std::rethrow_if_nested(e), std::runtime_error);
  }
}

TEST_P(ThreadModeTest, ShutdownDrainsEveryFrameToEos) {
  auto& record = SinkRecord::fresh("drain");
  Pipeline p(PipelineOptions{.registry = &registry_});
  p.add("test-count-source", "src", {{"count", "-1"}, {"sleep_us", "500"}}, placement())
      .add("test-transform", "t", {}, placement())
      .add("test-check-sink", "sink", {{"record", "drain"}}, placement());
  p.link("src", "t").link("t", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_TRUE(wait_for([&] { return frames_seen(record) >= 20; }));
  const auto asked = Clock::now();
  p.request_shutdown();
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  EXPECT_LT(seconds_since(asked), 2.0);
  RunReport report = run.get();
  EXPECT_FALSE(report.stopped);
  EXPECT_TRUE(report.interrupted);
  EXPECT_TRUE(record.eos);
  const std::uint64_t produced = report.find("src")->frames_out;
  EXPECT_GE(produced, 20u);
  EXPECT_EQ(record.sequences, iota(produced)) << "a frame produced before the shutdown went missing";
  for (const auto& e : report.elements) EXPECT_EQ(e.discarded, 0u) << e.name;
}

TEST_P(ThreadModeTest, StopEndsPromptlyAndCountsWhatWasLeft) {
  auto& record = SinkRecord::fresh("stop");
  Pipeline p(PipelineOptions{.queue_maxsize = 16, .registry = &registry_});
  p.add("test-count-source", "src", {{"count", "-1"}}, placement())
      .add("test-transform", "t", {}, placement())
      .add("test-check-sink", "sink", {{"record", "stop"}, {"sleep_us", "2000"}}, placement());
  p.link("src", "t").link("t", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_TRUE(wait_for([&] { return frames_seen(record) >= 10; }));
  const auto asked = Clock::now();
  p.request_stop();
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  EXPECT_LT(seconds_since(asked), 2.0);
  RunReport report = run.get();
  EXPECT_TRUE(report.stopped);
  EXPECT_TRUE(report.interrupted);
  const std::uint64_t discarded = report.find("t")->discarded + report.find("sink")->discarded;
  EXPECT_GT(discarded, 0u) << "the slow sink's queue was full, yet nothing was counted";
  expect_conserved(report, "src", "t");
  expect_conserved(report, "t", "sink");
  EXPECT_EQ(record.sequences, iota(record.sequences.size()));
}

TEST_P(ThreadModeTest, StopBeforeAnyFrame) {
  Pipeline p(PipelineOptions{.registry = &registry_});
  p.add("test-count-source", "src", {{"count", "-1"}, {"sleep_us", "1000"}}, placement())
      .add("test-check-sink", "sink", {{"record", "stop-early"}, {"sleep_us", "1000"}});
  p.link("src", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  // request_stop() before run() has begun is a no-op; keep asking until it ends.
  const auto started = Clock::now();
  while (run.wait_for(10ms) != std::future_status::ready && seconds_since(started) < 5) p.request_stop();
  ASSERT_EQ(run.wait_for(0s), std::future_status::ready);
  EXPECT_TRUE(run.get().stopped);
}

INSTANTIATE_TEST_SUITE_P(Placements, ThreadModeTest, ::testing::Values(Placement::Main, Placement::Thread),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

// Requests that come while run() is still registering its wakers (one per thread-placed
// element) notify the ones registered so far; the run ends stopped.
TEST(ThreadMode, StopRequestsWhileARunIsBuiltAreSafe) {
  Registry registry;
  test::register_test_elements(registry);
  for (int round = 0; round < 10; ++round) {
    Pipeline p(PipelineOptions{.registry = &registry});
    p.add("test-count-source", "src", {{"count", "-1"}});
    std::string previous = "src";
    for (int i = 0; i < 40; ++i) {
      const std::string name = "t" + std::to_string(i);
      p.add("test-transform", name, {}, Placement::Thread).link(previous, name);
      previous = name;
    }
    p.add("test-check-sink", "sink", {{"record", "asked-while-built"}}).link(previous, "sink");
    std::atomic<bool> asking{true};
    std::thread requester([&] {
      while (asking.load()) p.request_stop();
    });
    const RunReport report = run_within(p, 20s);
    asking.store(false);
    requester.join();
    EXPECT_TRUE(report.stopped) << "round " << round;
  }
}

TEST(ThreadMode, JoinTimeoutNamesTheStuckElement) {
  Registry registry;
  test::register_test_elements(registry);
  ASSERT_EQ(test::TestTransform::stalling().load(), 0);
  Pipeline p(PipelineOptions{.join_timeout = 200ms, .registry = &registry});
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-transform", "t", {{"stall_at", "3"}, {"stall_ms", "1500"}}, Placement::Thread)
      .add("test-check-sink", "sink", {{"record", "stuck"}});
  p.link("src", "t").link("t", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_TRUE(wait_for([] { return test::TestTransform::stalling() == 1; }));
  const auto asked = Clock::now();
  p.request_stop();
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  try {
    run.get();
    FAIL() << "run() returned normally";
  } catch (const JoinTimeoutError& e) {
    EXPECT_EQ(e.element(), "t");
    EXPECT_NE(std::string(e.what()).find("'t'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("200 ms"), std::string::npos) << e.what();
  }
  const double waited = seconds_since(asked);
  EXPECT_GE(waited, 0.15);
  EXPECT_LT(waited, 1.2);
  // The stuck worker still holds the elements: running again must refuse, not crash.
  EXPECT_THROW(p.run(), Error);
  EXPECT_THROW(p.element("t"), Error);
  // Let the detached worker finish before the test ends.
  EXPECT_TRUE(wait_for([] { return test::TestTransform::live() == 0; }));
}

TEST(ThreadMode, ShutdownDrainOutlivingTheJoinTimeout) {
  Registry registry;
  test::register_test_elements(registry);
  Pipeline p(PipelineOptions{.join_timeout = 200ms, .registry = &registry});
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-transform", "t", {{"stall_at", "3"}, {"stall_ms", "1500"}}, Placement::Thread)
      .add("test-check-sink", "sink", {{"record", "stuck-drain"}});
  p.link("src", "t").link("t", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_TRUE(wait_for([] { return test::TestTransform::stalling() == 1; }));
  const auto asked = Clock::now();
  p.request_shutdown();
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  EXPECT_THROW(run.get(), JoinTimeoutError);
  EXPECT_LT(seconds_since(asked), 1.2);
  EXPECT_TRUE(wait_for([] { return test::TestTransform::live() == 0; }));
}

TEST(ThreadMode, HundredThousandFramesThroughWorkersInOrder) {
  Registry registry;
  test::register_test_elements(registry);
  auto& record = SinkRecord::fresh("100k");
  Pipeline p(PipelineOptions{.registry = &registry});
  p.add("test-count-source", "src", {{"count", "100000"}})
      .add("test-transform", "t", {}, Placement::Thread)
      .add("test-check-sink", "sink", {{"record", "100k"}}, Placement::Thread);
  p.link("src", "t").link("t", "sink");
  RunReport report = run_within(p, 60s);
  ASSERT_EQ(record.sequences.size(), 100000u);
  for (std::size_t i = 0; i < record.sequences.size(); ++i) {
    ASSERT_EQ(record.sequences[i], i) << "lost or reordered";
    ASSERT_EQ(record.payload_index[i], static_cast<std::int64_t>(i));
  }
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(report.find("sink")->frames_in, 100000u);
  EXPECT_EQ(report.find("sink")->placement, Placement::Thread);
  EXPECT_NE(report.find("sink")->latency_p99_us, 0.0);
}

// 1 MiB frames, counted as they are made.
class MegabyteSource final : public Source<schema::Bytes> {
 public:
  static std::atomic<int>& made() {
    static std::atomic<int> count{0};
    return count;
  }
  static ElementInfo describe() { return {"test-megabyte-source", "30 frames of 1 MiB, counted", {}}; }
  explicit MegabyteSource(const ElementArgs& args) : Source(args) {}
  std::size_t max_output_bytes() const override { return (1 << 20) + 64; }
  Flow produce(schema::Bytes::Builder out, Context&) override {
    if (made() >= 30) return Flow::Eos;
    out.initData(1 << 20);
    ++made();
    return Flow::Ok;
  }
};

// Waits at its first frame for the source to run ahead, then takes a frame every 2 ms and
// notes how far the source ran ahead of it.
class LagSink final : public Sink<schema::Bytes> {
 public:
  static std::atomic<int>& most_ahead() {
    static std::atomic<int> lag{0};
    return lag;
  }
  static ElementInfo describe() { return {"test-lag-sink", "slow; notes the source's lead", {}}; }
  explicit LagSink(const ElementArgs& args) : Sink(args) {}
  Flow consume(schema::Bytes::Reader, Context&) override {
    if (taken_ == 0) {
      // Lets the source run as far ahead as its link allows (all 30 frames unbounded),
      // however slow the machine: 1 s is the most this waits.
      const auto until = std::chrono::steady_clock::now() + 1s;
      while (MegabyteSource::made().load() < 30 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(1ms);
      }
    }
    ++taken_;
    most_ahead() = std::max(most_ahead().load(), MegabyteSource::made().load() - taken_);
    std::this_thread::sleep_for(2ms);
    return Flow::Ok;
  }

 private:
  int taken_ = 0;
};

// PipelineOptions::queue_max_bytes reaches the channel between main and a thread: with
// 8 MiB, at most 8 frames of 1 MiB (and a bit) wait, however deep the queue in frames.
TEST(ThreadMode, AChannelQueuesAtMostItsBytes) {
  const auto lead_with = [](std::size_t max_bytes) {
    Registry registry;
    registry.add<MegabyteSource>().add<LagSink>();
    MegabyteSource::made() = 0;
    LagSink::most_ahead() = 0;
    Pipeline p(PipelineOptions{.queue_maxsize = 100, .queue_max_bytes = max_bytes, .registry = &registry});
    p.add("test-megabyte-source", "src").add("test-lag-sink", "sink", {}, Placement::Thread);
    p.link("src", "sink");
    run_within(p, 30s);
    EXPECT_EQ(MegabyteSource::made().load(), 30);
    return LagSink::most_ahead().load();
  };
  // 8 queued, one in the sink's hands, one made and waiting for room.
  EXPECT_LE(lead_with(std::size_t{8} << 20), 10);
  EXPECT_GE(lead_with(0), 20) << "without a byte bound the source runs ahead by up to 100 frames";
}

TEST(ThreadMode, WorkerElementOwnsItsLoop) {
  Registry registry;
  test::register_test_elements(registry);
  auto& record = SinkRecord::fresh("worker");
  test::CountingWorker::last_count() = -1;
  Pipeline p(PipelineOptions{.queue_maxsize = 4, .registry = &registry});
  p.add("test-count-source", "src", {{"count", "1000"}, {"gap_every", "7"}})
      .add("test-counting-worker", "w")
      .add("test-check-sink", "sink", {{"record", "worker"}});
  p.link("src", "w").link("w", "sink");
  EXPECT_EQ(p.placement("w"), Placement::Thread);
  RunReport report = run_within(p);
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(record.all_sequences, iota(1000));
  EXPECT_EQ(record.gap_sequences.size(), 1000u / 7);
  EXPECT_EQ(test::CountingWorker::last_count().load(), static_cast<std::int64_t>(record.sequences.size()));
  EXPECT_EQ(report.find("w")->frames_in, record.sequences.size());
  EXPECT_EQ(report.find("w")->frames_out, record.sequences.size());
}

TEST(ThreadMode, WorkerElementStopsAndDrains) {
  Registry registry;
  test::register_test_elements(registry);
  for (bool drain : {true, false}) {
    SCOPED_TRACE(drain ? "shutdown (drain)" : "stop");
    auto& record = SinkRecord::fresh("worker-stop");
    Pipeline p(PipelineOptions{.queue_maxsize = 8, .registry = &registry});
    p.add("test-count-source", "src", {{"count", "-1"}, {"sleep_us", "200"}})
        .add("test-counting-worker", "w")
        .add("test-check-sink", "sink", {{"record", "worker-stop"}, {"sleep_us", drain ? "0" : "3000"}});
    p.link("src", "w").link("w", "sink");
    auto run = std::async(std::launch::async, [&] { return p.run(); });
    ASSERT_TRUE(wait_for([&] { return frames_seen(record) >= 10; }));
    const auto asked = Clock::now();
    drain ? p.request_shutdown() : p.request_stop();
    ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
    EXPECT_LT(seconds_since(asked), 2.0);
    RunReport report = run.get();
    EXPECT_EQ(report.stopped, !drain);
    // A stop can catch the worker with a result it could not push: that frame was taken
    // in and never went out (the report shows it as in - out); what was left queued is
    // counted as discarded.
    const ElementStats& src = *report.find("src");
    const ElementStats& w = *report.find("w");
    const auto unpushed = static_cast<std::uint64_t>(test::CountingWorker::last_count().load()) - w.frames_out;
    EXPECT_LE(unpushed, drain ? 0u : 1u);
    EXPECT_EQ(w.frames_in, w.frames_out + unpushed);
    EXPECT_EQ(src.frames_out, w.frames_in + w.discarded) << "src -> w";
    expect_conserved(report, "w", "sink");
    if (drain) {
      EXPECT_EQ(record.sequences, iota(report.find("src")->frames_out));
    }
  }
}

TEST(ThreadMode, WorkerElementInPipelineRunTwice) {
  Registry registry;
  test::register_test_elements(registry);
  auto& record = SinkRecord::fresh("worker-twice");
  Pipeline p(PipelineOptions{.registry = &registry});
  p.add("test-count-source", "src", {{"count", "300"}}, Placement::Thread)
      .add("test-counting-worker", "w")
      .add("test-check-sink", "sink", {{"record", "worker-twice"}});
  p.link("src", "w").link("w", "sink");
  for (int n = 0; n < 2; ++n) {
    record.clear();
    run_within(p);
    EXPECT_EQ(record.sequences, iota(300)) << "run " << n;
    EXPECT_EQ(test::CountingWorker::last_count().load(), 300) << "state<T> must start fresh";
  }
}

}  // namespace
}  // namespace sgn
