// The run loop in the main thread and worker threads (no RouDi): paced sources wait
// interruptibly and are not bursty, requests made before run() are kept, and an
// author loop that only polls should_stop() sees a stop.

#include <gtest/gtest.h>
#include <sgn/pipeline.hpp>

#include <future>

#include "support/loop_elements.hpp"
#include "support/run_helpers.hpp"
#include "support/test_elements.hpp"

namespace sgn {
namespace {

using namespace std::chrono_literals;

class RunLoopTest : public ::testing::Test {
 protected:
  RunLoopTest() {
    test::register_test_elements(registry_);
    test::register_loop_elements(registry_);
  }
  PipelineOptions options() { return PipelineOptions{.registry = &registry_}; }
  Registry registry_;
};

TEST_F(RunLoopTest, APacedSourceInTheMainThreadFeedsItsSinkFrameByFrame) {
  test::PacedSource::made() = 0;
  test::LockstepSink::bursts() = 0;
  Pipeline p(options());
  p.add("test-paced-source", "src", {{"count", "40"}, {"period_us", "2000"}}).add("test-lockstep-sink", "sink");
  p.link("src", "sink");
  const RunReport report = test::run_within(p, 30s);
  EXPECT_EQ(report.find("sink")->frames_in, 40u);
  EXPECT_EQ(test::LockstepSink::bursts().load(), 0) << "the source ran ahead of its sink in the same thread";
}

TEST_F(RunLoopTest, AStopEndsTheWaitOfAPacedSourceAtOnce) {
  for (Placement placement : {Placement::Main, Placement::Thread}) {
    test::PacedSource::made() = 0;
    Pipeline p(options());
    // The second frame is due in an hour: only the stop can end this run.
    p.add("test-paced-source", "src", {{"count", "-1"}, {"period_us", "3600000000"}}, placement)
        .add("test-lockstep-sink", "sink");
    p.link("src", "sink");
    auto run = std::async(std::launch::async, [&] { return p.run(); });
    while (test::PacedSource::made().load() == 0) std::this_thread::sleep_for(1ms);
    p.request_stop();
    ASSERT_EQ(run.wait_for(20s), std::future_status::ready) << to_string(placement);
    const RunReport report = run.get();
    EXPECT_TRUE(report.stopped) << to_string(placement);
    EXPECT_EQ(report.find("src")->frames_out, 1u) << to_string(placement);
  }
}

TEST_F(RunLoopTest, AShutdownEndsAPacedSourceWithEos) {
  test::PacedSource::made() = 0;
  Pipeline p(options());
  p.add("test-paced-source", "src", {{"count", "-1"}, {"period_us", "3600000000"}}).add("test-check-sink", "sink",
                                                                                         {{"record", "paced-eos"}});
  p.link("src", "sink");
  auto& record = test::SinkRecord::named("paced-eos");
  record.clear();
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  while (test::PacedSource::made().load() == 0) std::this_thread::sleep_for(1ms);
  p.request_shutdown();
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  const RunReport report = run.get();
  EXPECT_FALSE(report.stopped);
  EXPECT_TRUE(report.interrupted);
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(record.sequences.size(), 1u);
}

TEST_F(RunLoopTest, AStopRequestedBeforeRunIsKept) {
  Pipeline p(options());
  p.add("test-count-source", "src", {{"count", "-1"}}).add("test-check-sink", "sink", {{"record", "early-stop"}});
  p.link("src", "sink");
  p.request_stop();
  const RunReport report = test::run_within(p, 20s);
  EXPECT_TRUE(report.stopped);
  EXPECT_TRUE(report.interrupted);
}

TEST_F(RunLoopTest, AShutdownRequestedBeforeRunDrainsTheFirstRun) {
  auto& record = test::SinkRecord::named("early-shutdown");
  record.clear();
  Pipeline p(options());
  p.add("test-count-source", "src", {{"count", "-1"}}, Placement::Thread)
      .add("test-check-sink", "sink", {{"record", "early-shutdown"}});
  p.link("src", "sink");
  p.request_shutdown();
  const RunReport report = test::run_within(p, 20s);
  EXPECT_FALSE(report.stopped);
  EXPECT_TRUE(report.interrupted);
  EXPECT_TRUE(record.eos);
}

TEST_F(RunLoopTest, AnAuthorLoopThatOnlyPollsSeesTheStop) {
  Pipeline p(options());
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-polling-worker", "w", {}, Placement::Thread)
      .add("test-check-sink", "sink", {{"record", "polling"}});
  p.link("src", "w").link("w", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  std::this_thread::sleep_for(50ms);  // not synchronisation: a stop at any moment must work
  p.request_stop();
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(run.get().stopped);
}

}  // namespace
}  // namespace sgn
