// Forwarding without a copy: a transform that passes its input on (passthrough) or
// modifies it in place publishes the input frame itself, in every placement; in
// process placement by reference to the upstream chunk, held until its readers are done.

#include <gtest/gtest.h>
#include <signal.h>
#include <sgn/elements/register.hpp>
#include <sgn/error.hpp>
#include <sgn/init.hpp>
#include <sgn/pipeline.hpp>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "support/leftovers.hpp"
#include "support/run_helpers.hpp"
#include "support/temp_file.hpp"
#include "support/test_elements.hpp"
#include "support/wait_until.hpp"

namespace sgn {

using namespace std::chrono_literals;

namespace {

// Far beyond iceoryx's 256 chunks held per subscriber and the 128 forward slots of an
// output: a chunk that is never released shows as a run that stops or fails.
constexpr std::size_t kFrames = 3000;

std::string name_of(Placement placement) { return std::string(to_string(placement)); }

void expect_all_frames(const test::SinkRecord& record, std::size_t frames) {
  ASSERT_EQ(record.sequences.size(), frames);
  for (std::size_t i = 0; i < frames; ++i) {
    ASSERT_EQ(record.sequences[i], i) << "lost or reordered at " << i;
    ASSERT_EQ(record.payload_index[i], static_cast<std::int64_t>(i)) << "payload of frame " << i;
  }
  EXPECT_EQ(record.mismatches, 0u) << "frames whose bytes differ from what was sent";
  EXPECT_TRUE(record.eos);
}

void expect_conserved(const RunReport& report, const char* element, std::size_t frames) {
  const ElementStats* s = report.find(element);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->frames_in, frames) << element;
  EXPECT_EQ(s->frames_out, frames) << element;
  EXPECT_EQ(s->discarded, 0u) << element;
}

/// Frames a KeepSink holds on to after its run ended, by record name.
struct KeptFrames {
  std::mutex mutex;
  std::vector<Frame> frames;
  static KeptFrames& named(const std::string& name) {
    static std::mutex m;
    static std::map<std::string, std::unique_ptr<KeptFrames>> held;
    std::lock_guard lock(m);
    auto& slot = held[name];
    if (!slot) slot = std::make_unique<KeptFrames>();
    return *slot;
  }
  /// Drops every handle (the storage goes back to its pool, or is freed once the run is gone).
  void release() {
    std::lock_guard lock(mutex);
    frames.clear();
  }
};

/// Checks `frames` as PatternSink does (CountSource's pattern, unmodified) into `record`.
void check_count_frames(const std::vector<Frame>& frames, test::SinkRecord& record) {
  std::lock_guard lock(record.mutex);
  for (const Frame& frame : frames) {
    auto data = frame.read<schema::Bytes>()->getData();
    std::int64_t index = -1;
    if (data.size() >= 8) std::memcpy(&index, data.begin(), 8);
    bool same = data.size() >= 8;
    for (std::size_t i = 8; same && i < data.size(); ++i) same = data[i] == 0;
    record.sequences.push_back(frame.header().sequence);
    record.payload_index.push_back(index);
    if (!same) ++record.mismatches;
  }
  record.eos = true;
}

/// Every frame the input of `ctx` receives until EOS or a stop, kept; `count` hears how
/// many after each.
std::vector<Frame> keep_until_end(WorkerContext& ctx, const std::function<void(std::size_t)>& count = {}) {
  InputPad in = ctx.input();
  std::vector<Frame> kept;
  while (!ctx.should_stop()) {
    std::optional<Frame> frame = in.pull();
    if (!frame || frame->eos()) break;
    kept.push_back(std::move(*frame));
    if (count) count(kept.size());
  }
  return kept;
}
}  // namespace

/// A second reader that never lets go: keeps every frame it receives, and at EOS
/// hands them to KeptFrames::named(record), so they outlive the run. Its EOS can come
/// while a slower sibling still has frames queued: had it dropped its handles then,
/// the sibling would be their only reader and rightly modify them without a copy.
/// The test checks the kept frames after the run, once the sibling is done with them.
class KeepSink final : public WorkerElement {
 public:
  static ElementInfo describe() {
    return {"test-keep-sink", "holds every frame beyond the end of the run",
            {property<std::string>("record", "default", "record name")}};
  }
  explicit KeepSink(const ElementArgs& args)
      : WorkerElement(args, {{"in", schema_type<schema::Bytes>()}}, {}),
        held_(KeptFrames::named(properties().get<std::string>("record"))) {}

 protected:
  void run(WorkerContext& ctx) override {
    std::vector<Frame> kept = keep_until_end(ctx);
    std::lock_guard lock(held_.mutex);
    for (Frame& frame : kept) held_.frames.push_back(std::move(frame));
  }

 private:
  KeptFrames& held_;
};

/// A reader that holds every frame it receives until its run ends, and `linger_ms`
/// beyond a stop (a slow element finishing its work), so that its producer's pool
/// runs dry. `held` counts what it holds now.
class HoldSink final : public WorkerElement {
 public:
  static inline std::atomic<std::size_t> held{0};
  static ElementInfo describe() {
    return {"test-hold-sink",
            "holds every frame until the run ends",
            {property<std::int64_t>("linger_ms", 0, "how long it keeps them after a stop", 0, 10000)}};
  }
  explicit HoldSink(const ElementArgs& args)
      : WorkerElement(args, {{"in", schema_type<schema::Bytes>()}}, {}),
        linger_(properties().get<std::int64_t>("linger_ms")) {}

 protected:
  void run(WorkerContext& ctx) override {
    const std::vector<Frame> kept = keep_until_end(ctx, [](std::size_t n) { held.store(n); });
    std::this_thread::sleep_for(std::chrono::milliseconds(linger_));
    held.store(0);
  }

 private:
  std::int64_t linger_;
};

namespace {

class ForwardingTest : public ::testing::TestWithParam<Placement> {};

TEST_P(ForwardingTest, APassthroughDeliversTheSameBytesWithoutACopy) {
  auto& record = test::SinkRecord::named("pass");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", std::to_string(kFrames)}, {"bytes", "1024"}})
      .add("test-passthrough", "pass", {}, GetParam())
      .add("test-pattern-sink", "sink", {{"record", "pass"}});
  p.link("src", "pass").link("pass", "sink");
  const RunReport report = test::run_within(p, 60s);
  expect_all_frames(record, kFrames);
  expect_conserved(report, "pass", kFrames);
  EXPECT_EQ(report.find("sink")->frames_in, kFrames);
  for (const char* name : {"src", "pass", "sink"}) EXPECT_EQ(report.find(name)->copies, 0u) << name;
}

TEST_P(ForwardingTest, AnInPlaceTransformModifiesTheFrameWithoutACopy) {
  auto& record = test::SinkRecord::named("in-place");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", std::to_string(kFrames)}, {"bytes", "4096"}})
      .add("test-in-place", "xor", {{"mask", "165"}}, GetParam())
      .add("test-pattern-sink", "sink", {{"record", "in-place"}, {"mask", "165"}});
  p.link("src", "xor").link("xor", "sink");
  const RunReport report = test::run_within(p, 60s);
  expect_all_frames(record, kFrames);
  expect_conserved(report, "xor", kFrames);
  for (const char* name : {"src", "xor", "sink"}) EXPECT_EQ(report.find(name)->copies, 0u) << name;
}

TEST_P(ForwardingTest, WithASecondReaderAnInPlaceTransformCopiesAndCountsIt) {
  auto& modified = test::SinkRecord::named("modified");
  auto& original = test::SinkRecord::named("original");
  auto& kept = KeptFrames::named("original");
  modified.clear();
  original.clear();
  kept.release();
  constexpr std::size_t frames = 500;
  Pipeline p;
  // The other reader holds every frame beyond the run (in a thread), or, in process
  // placement, the source is a worker publishing one chunk to both: either way the
  // transform is never the only reader.
  const bool process = GetParam() == Placement::Process;
  p.add("test-count-source", "src", {{"count", std::to_string(frames)}, {"bytes", "2048"}}, GetParam())
      .add("test-in-place", "xor", {{"mask", "90"}}, GetParam())
      .add("test-pattern-sink", "modified", {{"record", "modified"}, {"mask", "90"}})
      .add(process ? "test-pattern-sink" : "test-keep-sink", "original", {{"record", "original"}},
           process ? Placement::Main : Placement::Thread);
  p.link("src", "xor").link("xor", "modified").link("src", "original");
  const RunReport report = test::run_within(p, 60s);
  expect_all_frames(modified, frames);
  if (!process) {
    // Checked now that the transform has done all it will do: the frames the other
    // reader holds still carry what the source wrote, not a byte xored.
    std::lock_guard lock(kept.mutex);
    ASSERT_EQ(kept.frames.size(), frames);
    check_count_frames(kept.frames, original);
  }
  expect_all_frames(original, frames);  // the other reader saw the frame unmodified
  EXPECT_EQ(report.find("xor")->copies, frames);
  EXPECT_EQ(report.find("src")->copies, 0u);
  kept.release();
}

TEST_P(ForwardingTest, AChainOfPassthroughsAndAnInPlaceStageCopiesNothing) {
  auto& record = test::SinkRecord::named("chain");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", std::to_string(kFrames)}, {"bytes", "65536"}}, GetParam())
      .add("test-passthrough", "a", {}, GetParam())
      .add("test-in-place", "xor", {{"mask", "1"}}, GetParam())
      .add("test-passthrough", "b", {}, GetParam())
      .add("test-pattern-sink", "sink", {{"record", "chain"}, {"mask", "1"}});
  p.link("src", "a").link("a", "xor").link("xor", "b").link("b", "sink");
  const RunReport report = test::run_within(p, 60s);
  expect_all_frames(record, kFrames);
  for (const char* name : {"a", "xor", "b"}) expect_conserved(report, name, kFrames);
  for (const char* name : {"src", "a", "xor", "b", "sink"}) EXPECT_EQ(report.find(name)->copies, 0u) << name;
}

TEST_P(ForwardingTest, MemoryModifiedInPlaceIsZeroedForTheNextFrameOfAConstantSource) {
  // bytes-source fill=none zeroes only the structure of its reused frames; a transform
  // that wrote their payload in place must make the next frame zero it all again.
  auto& record = test::SinkRecord::named("constant");
  record.clear();
  constexpr std::size_t frames = 600;
  Pipeline p;
  p.add("bytes-source", "src", {{"frames", std::to_string(frames)}, {"size", "4096"}, {"fill", "none"}})
      .add("test-in-place", "xor", {{"mask", "90"}}, GetParam())
      .add("test-pattern-sink", "sink", {{"record", "constant"}, {"mask", "90"}});
  p.link("src", "xor").link("xor", "sink");
  const RunReport report = test::run_within(p, 60s);
  ASSERT_EQ(record.sequences.size(), frames);
  EXPECT_EQ(record.mismatches, 0u) << "frames that did not start from zeros";
  EXPECT_EQ(report.find("xor")->copies, 0u);
}

INSTANTIATE_TEST_SUITE_P(Placements, ForwardingTest,
                         ::testing::Values(Placement::Main, Placement::Thread, Placement::Process),
                         [](const auto& param_info) { return name_of(param_info.param); });

using test::children_named;

TEST(ForwardingProcessTest, AStopReachesAWorkerWaitingForADryPool) {
  // 1 MiB frames come from a pool of 64 chunks (roudi-config/sgn-default.toml); the
  // reader takes each at once (credits flow) and keeps it, 3 s beyond the stop, so the
  // worker's loans find the pool dry and wait for a chunk to come back: the stop must
  // end that wait, not the chunks' return.
  HoldSink::held.store(0);
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "-1"}, {"bytes", "1000000"}}, Placement::Process)
      .add("test-hold-sink", "sink", {{"linger_ms", "3000"}}, Placement::Thread);
  p.link("src", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  // Dry: the reader holds frames and no more come for 300 ms.
  std::size_t last = 0;
  auto since = test::Clock::now();
  ASSERT_TRUE(test::wait_until(
      [&] {
        const std::size_t now = HoldSink::held.load();
        if (now != last) last = now, since = test::Clock::now();
        return now >= 8 && test::seconds_since(since) > 0.3;
      },
      20s))
      << "the reader holds " << HoldSink::held.load() << " frames";
  ASSERT_EQ(children_named("sgn-worker:src").size(), 1u);
  const auto start = test::Clock::now();
  p.request_stop();
  while (!children_named("sgn-worker:src").empty() && test::seconds_since(start) < 5.0) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_LT(test::seconds_since(start), 1.5) << "the worker saw the stop only once the reader let its chunks go";
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(run.get().stopped);
  EXPECT_TRUE(children_named("sgn-worker:").empty()) << "a worker process is left";
}

TEST(ForwardingProcessTest, AStopAfterTheForwarderEndedEndsItsWaitForItsReaders) {
  // The forwarder forwards all 30 frames and EOS at once and ends; the slow reader has
  // taken one or two when the stop comes (a second Ctrl+C just after the first one's
  // drain reached the worker). The ended forwarder waits for its readers to release what
  // it forwarded, which they never will now: the stop must end that wait too, not main's
  // join timeout.
  auto& record = test::SinkRecord::fresh("late-stop");
  PipelineOptions options;
  options.join_timeout = 5s;
  Pipeline p(options);
  p.add("test-count-source", "src", {{"count", "30"}})
      .add("test-passthrough", "pass", {}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", "late-stop"}, {"sleep_us", "100000"}});
  p.link("src", "pass").link("pass", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_TRUE(test::wait_until(
      [&] {
        std::lock_guard lock(record.mutex);
        return record.sequences.size() >= 2;
      },
      20s))
      << "no frames flow";
  const auto start = test::Clock::now();
  p.request_stop();
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  RunReport report;
  try {
    report = run.get();
  } catch (const JoinTimeoutError& e) {
    FAIL() << "the ended forwarder did not hear the stop: " << e.what();
  }
  EXPECT_LT(test::seconds_since(start), 2.5) << "the forwarder waited for readers that had stopped";
  EXPECT_TRUE(report.stopped);
  const ElementStats* pass = report.find("pass");
  const ElementStats* sink = report.find("sink");
  EXPECT_EQ(pass->frames_out, 30u) << "the forwarder had not ended before the stop";
  EXPECT_EQ(pass->frames_out, sink->frames_in + sink->discarded);
  EXPECT_TRUE(children_named("sgn-worker:").empty()) << "a worker process is left";
}

TEST(ForwardingProcessTest, AKilledReaderLeavesNoChunkPinnedAndTheForwarderEndsPromptly) {
  auto& record = test::SinkRecord::named("killed-reader");
  record.clear();
  const test::TempFile flowing("flowing");
  PipelineOptions options;
  options.join_timeout = 5s;
  Pipeline p(options);
  // The slow reader keeps the forwarder's slots busy: chunks of the source's pool are held for it.
  p.add("test-count-source", "src", {{"count", "-1"}, {"bytes", "65536"}})
      .add("test-passthrough", "pass", {}, Placement::Process)
      .add("test-pattern-sink", "sink",
           {{"record", "killed-reader"}, {"sleep_us", "200"}, {"mark_at", "50"}, {"mark", flowing.path()}},
           Placement::Process);
  p.link("src", "pass").link("pass", "sink");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_TRUE(test::wait_until([&] { return std::filesystem::exists(flowing.path()); }, 20s)) << "no frames flow";
  const auto readers = children_named("sgn-worker:sink");
  ASSERT_EQ(readers.size(), 1u);
  const auto start = test::Clock::now();
  ASSERT_EQ(::kill(readers[0], SIGKILL), 0);
  ASSERT_EQ(run.wait_for(20s), std::future_status::ready);
  try {
    run.get();
    FAIL() << "run() must throw";
  } catch (const JoinTimeoutError& e) {
    FAIL() << "the forwarder waited for its dead reader until it was killed: " << e.what();
  } catch (const WorkerError& e) {
    EXPECT_NE(std::string(e.what()).find("'sink'"), std::string::npos) << e.what();
  }
  EXPECT_LT(test::seconds_since(start), 4.0) << "ending took longer than a forwarder releasing its frames should";
  const RunReport& report = p.last_report();
  const ElementStats* src = report.find("src");
  const ElementStats* pass = report.find("pass");
  const ElementStats* sink = report.find("sink");
  // Conservation on each link: frames out = frames in + discarded.
  EXPECT_EQ(src->frames_out, pass->frames_in + pass->discarded);
  EXPECT_EQ(pass->frames_out, sink->frames_in + sink->discarded);
  EXPECT_EQ(pass->copies, 0u);

  // The same RouDi and pools serve the next run in full: nothing stayed pinned.
  auto& next = test::SinkRecord::named("after-kill");
  next.clear();
  Pipeline again;
  again.add("test-count-source", "src", {{"count", "2000"}, {"bytes", "65536"}})
      .add("test-passthrough", "pass", {}, Placement::Process)
      .add("test-pattern-sink", "sink", {{"record", "after-kill"}});
  again.link("src", "pass").link("pass", "sink");
  const RunReport second = test::run_within(again, 60s);
  expect_all_frames(next, 2000);
  EXPECT_EQ(second.find("pass")->copies, 0u);
  EXPECT_TRUE(children_named("sgn-worker:").empty()) << "a worker process is left";
}

}  // namespace
}  // namespace sgn

int main(int argc, char** argv) {
  static sgn::Registry registry;
  sgn::elements::register_all(registry);
  sgn::test::register_test_elements(registry);
  registry.add<sgn::KeepSink>();
  registry.add<sgn::HoldSink>();
  sgn::init(argc, argv, registry);  // a worker process start ends here
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
