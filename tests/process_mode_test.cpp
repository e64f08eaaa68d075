// Process mode end to end: real worker processes, a real RouDi (started by the
// engine inside the private namespace that support/private_shm.sh gives this
// binary), frames in shared memory. Scenarios shared with thread mode run for
// both placements from the same test code.

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sgn/error.hpp>
#include <sgn/init.hpp>
#include <sgn/pipeline.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "process/process_runtime.hpp"
#include "roudi/run_record.hpp"
#include "support/leftovers.hpp"
#include "support/loop_elements.hpp"
#include "support/process_helpers.hpp"
#include "support/run_helpers.hpp"
#include "support/temp_file.hpp"
#include "support/wait_until.hpp"
#include "support/test_elements.hpp"

extern char** environ;

namespace sgn {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using test::children_named;
using test::own_sgn_segments;

template <class E>
const E* nested_as(const std::exception& outer) {
  try {
    std::rethrow_if_nested(outer);
  } catch (const E& inner) {
    static thread_local std::optional<E> kept;
    kept.emplace(inner);
    return &*kept;
  } catch (...) {
  }
  return nullptr;
}

/// Waits until `record` holds `frames` frames; returns what went wrong instead
/// (empty when they came): the run ended first, and how, or 20 s passed.
std::string wait_for_frames(test::SinkRecord& record, std::size_t frames, std::future<RunReport>& run) {
  const auto deadline = test::Clock::now() + 20s;
  while (test::Clock::now() < deadline) {
    {
      std::lock_guard lock(record.mutex);
      if (record.sequences.size() >= frames) return {};
    }
    if (run.wait_for(10ms) == std::future_status::ready) {
      try {
        run.get();
        return "the run ended before " + std::to_string(frames) + " frames arrived";
      } catch (const std::exception& e) {
        return "the run failed before " + std::to_string(frames) + " frames arrived: " + describe_exception(e);
      }
    }
  }
  return "no frames are flowing after 20 s";
}

class ProcessModeTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // Every worker reaped, every segment of ours unlinked (RouDi stays until exit).
    EXPECT_TRUE(children_named("sgn-worker:").empty()) << "a worker process is left";
    EXPECT_TRUE(own_sgn_segments().empty()) << "a shared-memory segment is left";
  }
};

class PlacementTest : public ProcessModeTest, public ::testing::WithParamInterface<Placement> {};

TEST_P(PlacementTest, HundredThousandFramesArriveInOrder) {
  auto& record = test::SinkRecord::named("order");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "100000"}})
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "order"}});
  p.link("src", "t").link("t", "sink");
  RunReport report = test::run_within(p, 60s);
  ASSERT_EQ(record.sequences.size(), 100000u);
  for (std::size_t i = 0; i < record.sequences.size(); ++i) {
    ASSERT_EQ(record.sequences[i], i) << "lost or reordered at " << i;
    ASSERT_EQ(record.payload_index[i], static_cast<std::int64_t>(i));
  }
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(report.find("t")->frames_in, 100000u);
  EXPECT_EQ(report.find("t")->frames_out, 100000u);
  EXPECT_EQ(report.find("t")->placement, GetParam());
}

TEST_P(PlacementTest, GapsAndEosFlowThroughInOrder) {
  auto& record = test::SinkRecord::named("gaps");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "300"}, {"gap_every", "3"}})
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "gaps"}});
  p.link("src", "t").link("t", "sink");
  RunReport report = test::run_within(p, 30s);
  EXPECT_EQ(record.gaps, 100u);
  ASSERT_EQ(record.sequences.size(), 200u);
  for (std::size_t i = 0; i < record.sequences.size(); ++i) {
    // Every third frame (2, 5, 8, ...) is a gap: the data frames keep their own numbers.
    ASSERT_EQ(record.sequences[i], i / 2 * 3 + i % 2) << "at " << i;
  }
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(report.find("t")->frames_out, 200u);
}

TEST_P(PlacementTest, AnExceptionInTheWorkerIsNestedWithItsTypeAndMessage) {
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-transform", "t", {{"throw_at", "5"}}, GetParam())
      .add("test-check-sink", "sink", {{"record", "throws"}});
  p.link("src", "t").link("t", "sink");
  // RouDi up first: the bound is on reporting the error, not on RouDi's start.
  if (GetParam() == Placement::Process) detail::ProcessRuntime::instance().ensure_main();
  const auto start = test::Clock::now();
  try {
    test::run_within(p, 20s);
    FAIL() << "run() must throw";
  } catch (const WorkerError& e) {
    EXPECT_EQ(e.element(), "t");
    EXPECT_NE(std::string(e.what()).find("worker stopped before EOS"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("refuses frame 5"), std::string::npos) << e.what();
    if (GetParam() == Placement::Process) {
      const RemoteError* remote = nested_as<RemoteError>(e);
      ASSERT_NE(remote, nullptr) << describe_exception(e);
      EXPECT_EQ(remote->type(), "std::out_of_range");
      EXPECT_EQ(remote->kind(), "exception");
    } else {
      EXPECT_NE(nested_as<std::out_of_range>(e), nullptr) << describe_exception(e);
    }
  }
  EXPECT_LT(test::seconds_since(start), 5.0);
}

TEST_P(PlacementTest, ShutdownDrainsEveryFrameToTheSink) {
  auto& record = test::SinkRecord::named("drain");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}, {"sleep_us", "200"}})
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "drain"}});
  p.link("src", "t").link("t", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_EQ(wait_for_frames(record, 51, run), "");
  p.request_shutdown();
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  RunReport report = run.get();
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(report.find("src")->frames_out, record.sequences.size());
  for (std::size_t i = 0; i < record.sequences.size(); ++i) ASSERT_EQ(record.sequences[i], i);
}

TEST_P(PlacementTest, StopEndsPromptly) {
  auto& record = test::SinkRecord::named("stop");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "stop"}, {"sleep_us", "1000"}});
  p.link("src", "t").link("t", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_EQ(wait_for_frames(record, 21, run), "");
  const auto start = test::Clock::now();
  p.request_stop();
  ASSERT_EQ(run.wait_for(10s), std::future_status::ready);
  RunReport report = run.get();
  EXPECT_LT(test::seconds_since(start), 3.0);
  EXPECT_TRUE(report.stopped);
}

// Low-latency mode (spin_us): a worker spinning between frames delivers the same
// frames, in order, and a shutdown or a stop still ends it promptly.
TEST_P(PlacementTest, ASpinningWorkerDeliversEveryFrameInOrder) {
  auto& record = test::SinkRecord::named("spin-order");
  record.clear();
  Pipeline p(PipelineOptions{.spin = 200us});  // main's loop (source and sink) spins too
  p.add("test-count-source", "src", {{"count", "20000"}})
      .add("test-transform", "t", {{"spin_us", "1000"}}, GetParam())
      .add("test-check-sink", "sink", {{"record", "spin-order"}});
  p.link("src", "t").link("t", "sink");
  RunReport report = test::run_within(p, 60s);
  ASSERT_EQ(record.sequences.size(), 20000u);
  for (std::size_t i = 0; i < record.sequences.size(); ++i) {
    ASSERT_EQ(record.sequences[i], i) << "lost or reordered at " << i;
    ASSERT_EQ(record.payload_index[i], static_cast<std::int64_t>(i));
  }
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(report.find("t")->frames_out, 20000u);
}

TEST_P(PlacementTest, ShutdownAndStopEndASpinningWorkerPromptly) {
  for (const bool stop : {false, true}) {
    SCOPED_TRACE(stop ? "request_stop" : "request_shutdown");
    auto& record = test::SinkRecord::named("spin-end");
    record.clear();
    Pipeline p;
    // Frames 20 ms apart: the worker spends every gap in its longest spin.
    p.add("test-count-source", "src", {{"count", "-1"}, {"sleep_us", "20000"}})
        .add("test-transform", "t", {{"spin_us", std::to_string(kSpinLimit.count())}}, GetParam())
        .add("test-check-sink", "sink", {{"record", "spin-end"}});
    p.link("src", "t").link("t", "sink");
    auto run = std::async(std::launch::async, [&] { return p.run(); });
    ASSERT_EQ(wait_for_frames(record, 3, run), "");
    const auto start = test::Clock::now();
    if (stop) {
      p.request_stop();
    } else {
      p.request_shutdown();
    }
    ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
    RunReport report = run.get();
    EXPECT_LT(test::seconds_since(start), 3.0);
    EXPECT_EQ(report.stopped, stop);
    if (!stop) {
      EXPECT_TRUE(record.eos);
      EXPECT_EQ(report.find("src")->frames_out, record.sequences.size());
    }
  }
}

TEST_P(PlacementTest, SharedDataReachesTheElementWhereverItRuns) {
  auto& record = test::SinkRecord::named("shared");
  record.clear();
  const std::int64_t calibration = 0x5ca1ab1e;
  Pipeline p;
  p.share("calibration", std::as_bytes(std::span(&calibration, 1)));
  p.add("test-count-source", "src", {{"count", "20"}})
      .add("test-transform", "t", {{"copy_shared", "calibration"}}, GetParam())
      .add("test-check-sink", "sink", {{"record", "shared"}});
  p.link("src", "t").link("t", "sink");
  test::run_within(p, 20s);
  ASSERT_EQ(record.payload_index.size(), 20u);
  for (std::int64_t value : record.payload_index) EXPECT_EQ(value, calibration);
}

TEST_P(PlacementTest, UnknownSharedDataIsAnErrorNamingWhatIsShared) {
  Pipeline p;
  const std::byte one{1};
  p.share("taps", std::span(&one, 1));
  p.add("test-count-source", "src", {{"count", "5"}})
      .add("test-transform", "t", {{"copy_shared", "tapz"}}, GetParam())
      .add("test-check-sink", "sink", {{"record", "shared-missing"}});
  p.link("src", "t").link("t", "sink");
  try {
    test::run_within(p, 20s);
    FAIL() << "run() must throw";
  } catch (const WorkerError& e) {
    EXPECT_NE(std::string(e.what()).find("'tapz'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("taps"), std::string::npos) << e.what();
  }
}

TEST_P(PlacementTest, AnAuthorOwnedLoopForwardsEveryFrameAndStops) {
  auto& record = test::SinkRecord::named("worker-loop");
  record.clear();
  {
    Pipeline p;
    p.add("test-count-source", "src", {{"count", "500"}})
        .add("test-counting-worker", "w", {}, GetParam())
        .add("test-check-sink", "sink", {{"record", "worker-loop"}});
    p.link("src", "w").link("w", "sink");
    test::run_within(p, 20s);
    ASSERT_EQ(record.sequences.size(), 500u);
    for (std::size_t i = 0; i < 500; ++i) ASSERT_EQ(record.sequences[i], i);
  }
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}, {"sleep_us", "1000"}})
      .add("test-counting-worker", "w", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "worker-loop"}});
  p.link("src", "w").link("w", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_EQ(wait_for_frames(record, 11, run), "");
  const auto start = test::Clock::now();
  p.request_stop();
  ASSERT_EQ(run.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(run.get().stopped);
  EXPECT_LT(test::seconds_since(start), 2.0) << "the worker's own loop must see the stop";
}

/// Every data frame `producer` published was taken in by `consumer` or counted as discarded there.
void expect_conserved(const RunReport& report, const char* producer, const char* consumer) {
  const ElementStats* p = report.find(producer);
  const ElementStats* c = report.find(consumer);
  ASSERT_TRUE(p && c) << producer << " -> " << consumer << ": missing from the report";
  EXPECT_EQ(p->frames_out, c->frames_in + c->discarded)
      << producer << " -> " << consumer << ": out " << p->frames_out << ", in " << c->frames_in << ", discarded "
      << c->discarded;
}

TEST_P(PlacementTest, FramesAreConservedOnEveryLinkWhenStopped) {
  auto& record = test::SinkRecord::named("conserved-stop");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-transform", "t", {}, GetParam())
      // A sink far slower than the source, on a thread of its own: the source fills every
      // queue and waits on them. (In main's one loop with the source, it would take turns
      // with it, and a worker could have passed every frame on by the time of the stop.)
      .add("test-check-sink", "sink", {{"record", "conserved-stop"}, {"sleep_us", "5000"}}, Placement::Thread);
  p.link("src", "t").link("t", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_EQ(wait_for_frames(record, 31, run), "");
  p.request_stop();
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  const RunReport report = run.get();
  EXPECT_TRUE(report.stopped);
  expect_conserved(report, "src", "t");
  expect_conserved(report, "t", "sink");
  EXPECT_GT(report.find("src")->frames_out, report.find("sink")->frames_in) << "nothing was in flight: a weak test";
}

TEST_P(PlacementTest, FramesAreConservedOnEveryLinkWhenAnElementFails) {
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-transform", "t", {{"throw_at", "200"}}, GetParam())
      .add("test-check-sink", "sink", {{"record", "conserved-failure"}, {"sleep_us", "200"}});
  p.link("src", "t").link("t", "sink");
  EXPECT_THROW(test::run_within(p, 20s), WorkerError);
  const RunReport& report = p.last_report();
  expect_conserved(report, "src", "t");
  expect_conserved(report, "t", "sink");
  EXPECT_EQ(report.find("t")->frames_out, 200u);
}

TEST_P(PlacementTest, AnAuthorLoopThatOnlyPollsShouldStopSeesTheStop) {
  const fs::path dir = test::make_temp_dir("sgn-polling");
  ASSERT_FALSE(dir.empty());
  const fs::path started = dir / "started";
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-polling-worker", "w", {{"started", started.string()}}, GetParam())
      .add("test-check-sink", "sink", {{"record", "polling"}});
  p.link("src", "w").link("w", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  // The stop lands inside the author's loop (a stop while workers start is the next test).
  ASSERT_TRUE(test::wait_until([&] { return fs::exists(started) || run.wait_for(0s) == std::future_status::ready; },
                               20s));
  p.request_stop();
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready) << "the polling loop never saw the stop";
  const RunReport report = run.get();
  fs::remove_all(dir);
  EXPECT_TRUE(report.stopped);
  EXPECT_GT(report.find("w")->frames_out, 0u) << "stopped before the pipeline ran: a weak test";
}

// A stop while a worker process starts (before it subscribed to main's commands) still
// reaches it: the run ends at once, stopped, instead of after the join timeout.
TEST_F(ProcessModeTest, AStopWhileAWorkerStartsEndsTheRun) {
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-polling-worker", "w", {}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", "polling-start"}});
  p.link("src", "w").link("w", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_TRUE(test::wait_until(
      [&] { return !children_named("sgn-worker:w").empty() || run.wait_for(0s) == std::future_status::ready; }, 30s));
  p.request_stop();
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  const RunReport report = run.get();  // no "did not end within the join timeout" error
  EXPECT_TRUE(report.stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 5s) << "the worker waited out the join timeout";
}

INSTANTIATE_TEST_SUITE_P(Placements, PlacementTest, ::testing::Values(Placement::Thread, Placement::Process),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

TEST_F(ProcessModeTest, AChainOfProcessElementsCopiesNothing) {
  auto& record = test::SinkRecord::named("chain");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "2000"}, {"bytes", "65536"}}, Placement::Process)
      .add("test-transform", "a", {}, Placement::Process)
      .add("test-transform", "b", {}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", "chain"}});
  p.link("src", "a").link("a", "b").link("b", "sink");
  RunReport report = test::run_within(p, 30s);
  ASSERT_EQ(record.sequences.size(), 2000u);
  for (const char* name : {"src", "a", "b", "sink"}) {
    EXPECT_EQ(report.find(name)->copies, 0u) << name;
  }
  EXPECT_EQ(report.find("b")->frames_out, 2000u);
  EXPECT_GT(report.find("a")->pid, 0);
  EXPECT_NE(report.find("a")->pid, ::getpid());
  EXPECT_NE(report.find("a")->pid, report.find("b")->pid);
}

TEST_F(ProcessModeTest, FanOutFromAWorkerReachesEveryConsumer) {
  auto& left = test::SinkRecord::named("left");
  auto& right = test::SinkRecord::named("right");
  left.clear();
  right.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "500"}}, Placement::Process)
      .add("test-check-sink", "left", {{"record", "left"}})
      .add("test-transform", "t", {}, Placement::Process)
      .add("test-check-sink", "right", {{"record", "right"}});
  p.link("src", "left").link("src", "t").link("t", "right");
  test::run_within(p, 30s);
  EXPECT_EQ(left.sequences.size(), 500u);
  EXPECT_EQ(right.sequences.size(), 500u);
  EXPECT_TRUE(left.eos && right.eos);
}

TEST_F(ProcessModeTest, FourWorkersOnOneSmallPoolShareItWithoutDeadlock) {
  // 600 kB frames come from the 1 MiB pool (64 chunks in the default config):
  // five publishers draw on it at once.
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "300"}, {"bytes", "600000"}});
  for (int i = 0; i < 4; ++i) {
    const std::string t = "t" + std::to_string(i), sink = "sink" + std::to_string(i);
    p.add("test-transform", t, {}, Placement::Process).add("test-check-sink", sink, {{"record", sink}});
    test::SinkRecord::named(sink).clear();
    p.link("src", t).link(t, sink);
  }
  RunReport report = test::run_within(p, 60s);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(test::SinkRecord::named("sink" + std::to_string(i)).sequences.size(), 300u) << i;
    EXPECT_EQ(report.find("t" + std::to_string(i))->copies, 0u);
  }
}

TEST_F(ProcessModeTest, AKilledWorkerIsReportedWithItsPidAndSignal) {
  auto& record = test::SinkRecord::named("killed");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}, {"sleep_us", "100"}})
      .add("test-transform", "t", {}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", "killed"}});
  p.link("src", "t").link("t", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_EQ(wait_for_frames(record, 21, run), "");
  const auto workers = children_named("sgn-worker:t");
  ASSERT_EQ(workers.size(), 1u);
  const auto start = test::Clock::now();
  ASSERT_EQ(::kill(workers[0], SIGKILL), 0);
  ASSERT_EQ(run.wait_for(10s), std::future_status::ready);
  try {
    run.get();
    FAIL() << "run() must throw";
  } catch (const WorkerError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'t'"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(workers[0])), std::string::npos) << what;
    EXPECT_NE(what.find("signal 9"), std::string::npos) << what;
  }
  EXPECT_LT(test::seconds_since(start), 2.0);
}

TEST_F(ProcessModeTest, AHungWorkerIsKilledAfterTheJoinTimeoutAndNamed) {
  auto& record = test::SinkRecord::named("hung");
  record.clear();
  PipelineOptions options;
  options.join_timeout = 300ms;
  Pipeline p(options);
  const test::TempFile stalled("stalled");
  p.add("test-count-source", "src", {{"count", "-1"}})
      .add("test-transform", "t", {{"stall_at", "10"}, {"stall_ms", "60000"}, {"stall_mark", stalled.path()}},
           Placement::Process)
      .add("test-check-sink", "sink", {{"record", "hung"}});
  p.link("src", "t").link("t", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_EQ(wait_for_frames(record, 10, run), "");
  ASSERT_TRUE(test::wait_until([&] { return std::filesystem::exists(stalled.path()); }, 20s))
      << "the worker never began its stall";
  p.request_stop();
  ASSERT_EQ(run.wait_for(10s), std::future_status::ready);
  try {
    run.get();
    FAIL() << "run() must throw";
  } catch (const JoinTimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find("'t' (pid"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("killed"), std::string::npos) << e.what();
    ASSERT_EQ(e.sites().size(), 1u);
    EXPECT_EQ(e.sites()[0].element, "t");
    EXPECT_EQ(e.sites()[0].placement, Placement::Process);
    EXPECT_GT(e.sites()[0].pid, 0);
  }
}

TEST_F(ProcessModeTest, SharingANameTwiceIsRefused) {
  Pipeline p;
  const std::byte one{1};
  p.share("taps", std::span(&one, 1));
  EXPECT_THROW(p.share("taps", std::span(&one, 1)), ValidationError);
}

TEST_F(ProcessModeTest, TwoPipelinesRunOneAfterTheOther) {
  for (int round = 0; round < 2; ++round) {
    auto& record = test::SinkRecord::named("rounds");
    record.clear();
    Pipeline p;
    p.add("test-count-source", "src", {{"count", "300"}})
        .add("test-transform", "t", {}, Placement::Process)
        .add("test-check-sink", "sink", {{"record", "rounds"}});
    p.link("src", "t").link("t", "sink");
    test::run_within(p, 30s);
    EXPECT_EQ(record.sequences.size(), 300u) << "round " << round;
  }
}

TEST_F(ProcessModeTest, TwoPipelinesOfOneProcessStartingAtOnceShareOneRouDi) {
  // Both are the process's first: each would start RouDi if nothing serialised them.
  auto run_one = [](const std::string& name) {
    auto& record = test::SinkRecord::named(name);
    record.clear();
    Pipeline p;
    p.add("test-count-source", "src", {{"count", "300"}})
        .add("test-transform", "t", {}, Placement::Process)
        .add("test-check-sink", "sink", {{"record", name}});
    p.link("src", "t").link("t", "sink");
    test::run_within(p, 60s);
    return record.sequences.size();
  };
  auto first = std::async(std::launch::async, run_one, "at-once-1");
  auto second = std::async(std::launch::async, run_one, "at-once-2");
  EXPECT_EQ(first.get(), 300u);
  EXPECT_EQ(second.get(), 300u);
}

TEST_F(ProcessModeTest, AQueueBeyondTheSharedMemoryLimitIsRefusedWhenBuilt) {
  PipelineOptions options;
  options.queue_maxsize = 300;
  Pipeline p(options);
  p.add("test-count-source", "src").add("test-transform", "t", {}, Placement::Process).add("test-check-sink", "sink");
  p.link("src", "t").link("t", "sink");
  try {
    p.validate();
    FAIL() << "validate() must throw";
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("300"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("256"), std::string::npos) << e.what();
  }
}

TEST_F(ProcessModeTest, AFrameLargerThanTheLargestChunkFailsNamingTheSizes) {
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "3"}, {"bytes", std::to_string(200u << 20)}}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", "too-big"}});
  p.link("src", "sink");
  try {
    test::run_within(p, 30s);
    FAIL() << "run() must throw";
  } catch (const WorkerError& e) {
    const std::string text = describe_exception(e);
    EXPECT_NE(text.find("src:out"), std::string::npos) << text;
    EXPECT_NE(text.find("largest shared-memory chunk"), std::string::npos) << text;
    const RemoteError* remote = nested_as<RemoteError>(e);
    ASSERT_NE(remote, nullptr) << text;
    EXPECT_EQ(remote->kind(), "frameOverflow");
  }
}

TEST_F(ProcessModeTest, AStopReachesAWorkerWhileTheMainThreadIsBusyInAnElement) {
  auto& record = test::SinkRecord::named("busy-main");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", "busy-main"}, {"sleep_us", "4000000"}});
  p.link("src", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_EQ(wait_for_frames(record, 1, run), "");
  // The sink is now in its next 4 s pause: main cannot look at anything until it returns.
  ASSERT_EQ(children_named("sgn-worker:src").size(), 1u);
  const auto start = test::Clock::now();
  p.request_stop();
  while (!children_named("sgn-worker:src").empty() && test::seconds_since(start) < 3.0) {
    std::this_thread::sleep_for(5ms);
  }
  const double stopped_after = test::seconds_since(start);
  EXPECT_LT(stopped_after, 2.0) << "the worker ended only when main's element returned";
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(run.get().stopped);
}

TEST_F(ProcessModeTest, AKilledWorkerBehindAPacedSourceIsReportedAtOnce) {
  Pipeline p;
  // A frame every 10 s: the failure must not wait for the next one.
  p.add("test-paced-source", "src", {{"count", "-1"}, {"period_us", "10000000"}})
      .add("test-transform", "t", {}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", "paced-kill"}});
  p.link("src", "t").link("t", "sink");
  auto& record = test::SinkRecord::named("paced-kill");
  record.clear();
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_EQ(wait_for_frames(record, 1, run), "");
  const auto workers = children_named("sgn-worker:t");
  ASSERT_EQ(workers.size(), 1u);
  const auto start = test::Clock::now();
  ASSERT_EQ(::kill(workers[0], SIGKILL), 0);
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  EXPECT_THROW(run.get(), WorkerError);
  EXPECT_LT(test::seconds_since(start), 2.0) << "reported only when the paced source woke up";
  expect_conserved(p.last_report(), "src", "t");
}

bool roudi_answers() { return std::filesystem::exists("/tmp/roudi"); }

Pipeline small_process_pipeline(const char* record) {
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "100"}})
      .add("test-transform", "t", {}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", record}});
  p.link("src", "t").link("t", "sink");
  return p;
}

/// Every signal's disposition and this thread's mask.
struct SignalState {
  static constexpr int kRestorer = 0x04000000;  // SA_RESTORER, which glibc's headers do not export
  std::vector<std::pair<void*, int>> actions;  // handler and flags per signal
  sigset_t mask{};
  static SignalState now() {
    SignalState state;
    for (int s = 1; s < NSIG; ++s) {
      struct sigaction action {};
      ::sigaction(s, nullptr, &action);
      // glibc adds SA_RESTORER to whatever it installs, SIG_DFL included: not a disposition.
      state.actions.emplace_back(reinterpret_cast<void*>(action.sa_handler), action.sa_flags & ~kRestorer);
    }
    ::pthread_sigmask(SIG_SETMASK, nullptr, &state.mask);
    return state;
  }
};

TEST_F(ProcessModeTest, EverySignalDispositionAndTheMaskAreAsBeforeAfterARun) {
  const SignalState before = SignalState::now();
  {
    Pipeline p = small_process_pipeline("dispositions");
    test::run_within(p, 30s);
  }
  const SignalState after = SignalState::now();
  for (int s = 1; s < NSIG; ++s) {
    EXPECT_EQ(before.actions[s - 1], after.actions[s - 1]) << "signal " << s << " (" << strsignal(s) << ")";
  }
  for (int s = 1; s < NSIG; ++s) {
    EXPECT_EQ(sigismember(&before.mask, s), sigismember(&after.mask, s)) << "mask of signal " << s;
  }
}

/// A directory holding an `iox-roudi` shell script with `body`, to put first on PATH.
struct FakeRoudi {
  std::filesystem::path dir;
  explicit FakeRoudi(const std::string& body)
      : dir(std::filesystem::temp_directory_path() / ("sgn-fake-roudi-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "iox-roudi") << "#!/bin/sh\n" << body << "\n";
    std::filesystem::permissions(dir / "iox-roudi", std::filesystem::perms::owner_all);
  }
  ~FakeRoudi() { std::filesystem::remove_all(dir); }
  std::string path() const { return dir.string() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : ""); }
};

/// Runs `p` with PATH set to `path`; returns the error it threw ("" if none).
std::string run_error_with_path(Pipeline& p, const std::string& path) {
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", path.c_str(), 1);
  std::string error;
  try {
    p.run();
  } catch (const Error& e) {
    error = e.what();
  }
  ::setenv("PATH", saved.c_str(), 1);
  return error;
}

TEST_F(ProcessModeTest, ARouDiThatCannotStartGivesAClearError) {
  if (roudi_answers()) GTEST_SKIP() << "a RouDi already runs in this namespace";
  Pipeline p = small_process_pipeline("no-roudi");
  const std::string error = run_error_with_path(p, "/nonexistent");
  EXPECT_NE(error.find("cannot start iox-roudi"), std::string::npos) << error;
  EXPECT_FALSE(roudi_answers());
}

TEST_F(ProcessModeTest, ARouDiThatExitsAtStartIsReportedAtOnceWithItsStatus) {
  if (roudi_answers()) GTEST_SKIP() << "a RouDi already runs in this namespace";
  const FakeRoudi fake("exit 3");
  Pipeline p = small_process_pipeline("roudi-exits");
  const auto started = test::Clock::now();
  const std::string error = run_error_with_path(p, fake.path());
  EXPECT_NE(error.find("iox-roudi exited at start (status 3"), std::string::npos) << error;
  EXPECT_LT(test::seconds_since(started), 5.0) << "an exit is seen at once, not at the readiness limit";
  EXPECT_FALSE(roudi_answers());
}

TEST_F(ProcessModeTest, PoolsBiggerThanDevShmAreRefusedBeforeRouDiStarts) {
  if (roudi_answers()) GTEST_SKIP() << "a RouDi already runs in this namespace";
  const std::string config = "/tmp/sgn-test-huge.toml";
  std::ofstream(config) << "[general]\nversion = 1\n[[segment]]\n[[segment.mempool]]\nsize = 1073741824\n"
                           "count = 100000\n";
  ::setenv("SGN_ROUDI_CONFIG", config.c_str(), 1);
  Pipeline p = small_process_pipeline("huge");
  try {
    p.run();
    FAIL() << "run() must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/shm has"), std::string::npos) << e.what();
  }
  ::unsetenv("SGN_ROUDI_CONFIG");
  std::filesystem::remove(config);
  EXPECT_FALSE(roudi_answers());
}

TEST_F(ProcessModeTest, RouDiDyingMidStreamFailsThePipelineClearly) {
  if (roudi_answers()) GTEST_SKIP() << "a RouDi already runs in this namespace";
  auto& record = test::SinkRecord::named("roudi-dies");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}, {"sleep_us", "100"}})
      .add("test-transform", "t", {}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", "roudi-dies"}});
  p.link("src", "t").link("t", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_EQ(wait_for_frames(record, 21, run), "");
  // The engine starts RouDi through a keeper and notes its pid in its runtime directory.
  std::ifstream pid_file(detail::runtime_dir_location() + "/roudi.pid");
  pid_t roudi = 0;
  pid_file >> roudi;
  ASSERT_GT(roudi, 0);
  ASSERT_EQ(::kill(roudi, SIGKILL), 0);
  ASSERT_EQ(run.wait_for(15s), std::future_status::ready);
  try {
    run.get();
    FAIL() << "run() must throw";
  } catch (const std::exception& e) {
    EXPECT_NE(describe_exception(e).find("RouDi died"), std::string::npos) << describe_exception(e);
  }
}

/// Runs HelperPipelineForAnotherProcess in a new process of this binary, with
/// `extra_env` ("NAME=value") on top of this process's environment.
pid_t spawn_helper_pipeline(const std::vector<std::string>& extra_env = {}) {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  std::string filter = "--gtest_filter=ProcessModeTest.HelperPipelineForAnotherProcess";
  char* argv[] = {exe, filter.data(), nullptr};
  std::vector<std::string> env_text = extra_env;
  env_text.emplace_back("SGN_TEST_HELPER_PIPELINE=1");
  for (char** e = environ; *e; ++e) env_text.emplace_back(*e);  // the first of a name wins
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t helper = -1;
  return ::posix_spawn(&helper, exe, nullptr, nullptr, argv, envp.data()) == 0 ? helper : -1;
}

TEST_F(ProcessModeTest, ARouDiAlreadyRunningIsUsedAndOutlivesThePipeline) {
  if (roudi_answers()) GTEST_SKIP() << "a RouDi already runs in this namespace";
  // This process never registers with RouDi (stopping RouDi kills the apps
  // registered with it): the pipeline runs in a helper process.
  char roudi[] = "iox-roudi";
  char level_flag[] = "-l";
  char level[] = "error";
  char* argv[] = {roudi, level_flag, level, nullptr};
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawnp(&pid, roudi, nullptr, nullptr, argv, environ), 0);
  for (int i = 0; i < 500 && !roudi_answers(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(roudi_answers());
  const pid_t helper = spawn_helper_pipeline();
  ASSERT_GT(helper, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(helper, &status, 0), helper);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the pipeline on the running RouDi failed";
  EXPECT_EQ(::kill(pid, 0), 0) << "the engine must not stop a RouDi it did not start";
  ::kill(pid, SIGTERM);
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
}

// Runs inside a second process started by TwoProcessesRunPipelinesAtOnce.
TEST_F(ProcessModeTest, HelperPipelineForAnotherProcess) {
  if (!std::getenv("SGN_TEST_HELPER_PIPELINE")) GTEST_SKIP() << "only run as the helper of another test";
  const char* sleep_us = std::getenv("SGN_TEST_HELPER_SLEEP_US");
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "2000"}, {"sleep_us", sleep_us ? sleep_us : "0"}})
      .add("test-transform", "t", {}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", "helper"}});
  p.link("src", "t").link("t", "sink");
  RunReport report = test::run_within(p, 30s);
  EXPECT_EQ(report.find("sink")->frames_in, 2000u);
}

TEST_F(ProcessModeTest, TwoProcessesRunPipelinesAtOnce) {
  auto& record = test::SinkRecord::named("mine");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "2000"}})
      .add("test-transform", "t", {}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", "mine"}});
  p.link("src", "t").link("t", "sink");
  const pid_t helper = spawn_helper_pipeline();
  ASSERT_GT(helper, 0);
  RunReport report = test::run_within(p, 30s);
  int status = 0;
  ASSERT_EQ(::waitpid(helper, &status, 0), helper);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the other process's pipeline failed";
  EXPECT_EQ(report.find("sink")->frames_in, 2000u);
}

// Pipelines starting in several processes while no RouDi runs: one process
// starts RouDi, the others wait for it and attach. A RouDi that is slow to come
// up (1 s here, as under load) must not make a second one start, or a process
// fail because the second one could not take RouDi's lock.
TEST_F(ProcessModeTest, ProcessesStartingAtOnceShareTheRouDiOneOfThemStarts) {
  if (roudi_answers()) GTEST_SKIP() << "a RouDi already runs in this namespace";
  const auto starts = std::filesystem::temp_directory_path() / ("sgn-roudi-starts-" + std::to_string(::getpid()));
  const FakeRoudi slow("echo $$ >> '" + starts.string() + "'\nsleep 1\nexec /usr/bin/iox-roudi \"$@\"");
  const std::string path = "PATH=" + slow.path();
  std::vector<pid_t> helpers;
  // Each helper's pipeline runs for about 1 s after RouDi is up, so a helper that
  // comes late still finds it running.
  for (int i = 0; i < 3; ++i) helpers.push_back(spawn_helper_pipeline({path, "SGN_TEST_HELPER_SLEEP_US=500"}));
  for (const pid_t helper : helpers) {
    ASSERT_GT(helper, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(helper, &status, 0), helper);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "helper " << helper << " failed";
  }
  std::ifstream log(starts);
  std::vector<std::string> started;
  for (std::string line; std::getline(log, line);) started.push_back(line);
  EXPECT_EQ(started.size(), 1u) << "RouDi was started " << started.size() << " times";
  // The keeper stops the RouDi the engine started just after the last helper exits.
  for (int i = 0; i < 200 && roudi_answers(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(roudi_answers()) << "the last helper to leave stops the RouDi the engine started";
  std::filesystem::remove(starts);
}

}  // namespace
}  // namespace sgn

int main(int argc, char** argv) {
  static sgn::Registry registry;  // the program's: pipelines use it by default
  sgn::test::register_test_elements(registry);
  sgn::test::register_loop_elements(registry);
  sgn::init(argc, argv, registry);  // a worker process start ends here
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
