// EventElement: elements driven from outside the pipeline (a library's callback thread),
// in every placement. A source whose frames become available on a thread of its own,
// which calls the Wakeup; a sink that may take a frame only when an outside thread
// grants it; a source paced by wake_at() alone. Each event is checked to be seen within
// milliseconds: without the Wakeup a loop would only look again at its next timed pass
// (every 10 ms in main, 100 ms in a worker).

#include <gtest/gtest.h>
#include <sgn/event_element.hpp>
#include <sgn/init.hpp>
#include <sgn/pipeline.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "support/run_helpers.hpp"
#include "support/test_elements.hpp"

namespace sgn {

using namespace std::chrono_literals;

namespace {

/// Frames become available one by one on the element's own thread (a stand-in for a
/// network library's receive thread), each announced with the Wakeup.
class ThreadFedSource final : public EventElement {
 public:
  static ElementInfo describe() {
    return {"test-thread-fed-source", "frames that an outside thread makes available",
            {property<std::int64_t>("count", 1000, "frames", 0, 1'000'000),
             property<std::int64_t>("every_us", 100, "one frame made available this often", 0, 100'000)}};
  }
  explicit ThreadFedSource(const ElementArgs& args)
      : EventElement(args, {}, {{"out", schema_type<schema::Bytes>()}}),
        count_(properties().get<std::int64_t>("count")),
        every_(std::chrono::microseconds(properties().get<std::int64_t>("every_us"))),
        made_at_ns_(static_cast<std::size_t>(count_)) {}
  ~ThreadFedSource() override { finish(); }

 protected:
  Poll poll(PollContext& ctx) override {
    if (!feeder_.joinable()) {
      feeder_ = std::thread([this, wakeup = ctx.wakeup()] {
        for (std::int64_t i = 0; i < count_ && !quit_.load(); ++i) {
          std::this_thread::sleep_for(every_);
          made_at_ns_[static_cast<std::size_t>(i)].store(monotonic_ns());
          available_.fetch_add(1);
          wakeup();
        }
      });
    }
    if (produced_ == count_) return Poll::Done;
    if (produced_ == available_.load() || !ctx.has_room()) return Poll::Idle;
    FrameWriter writer = ctx.loan(256);
    auto data = writer.init<schema::Bytes>().initData(64);
    std::memcpy(data.begin(), &produced_, sizeof produced_);
    // Stamped when it was made available: the sink's latency is from then on.
    writer.header().timestamp_ns = made_at_ns_[static_cast<std::size_t>(produced_)].load();
    ctx.push(std::move(writer));
    ++produced_;
    return Poll::Progress;
  }
  void finish() override {
    quit_.store(true);
    if (feeder_.joinable()) feeder_.join();
  }

 private:
  std::int64_t count_;
  std::chrono::microseconds every_;
  std::int64_t produced_ = 0;
  std::atomic<std::int64_t> available_{0};
  std::vector<std::atomic<std::int64_t>> made_at_ns_;  // by frame
  std::atomic<bool> quit_{false};
  std::thread feeder_;
};

/// Takes a frame only once an outside thread granted it one (a stand-in for a device
/// that accepts a write when it is ready); checks the frames come in order.
class GrantedSink final : public EventElement {
 public:
  static ElementInfo describe() {
    return {"test-granted-sink", "takes a frame per grant from an outside thread",
            {property<std::int64_t>("every_us", 100, "one grant this often", 0, 100'000)}};
  }
  explicit GrantedSink(const ElementArgs& args)
      : EventElement(args, {{"in", schema_type<schema::Bytes>()}}, {}),
        every_(std::chrono::microseconds(properties().get<std::int64_t>("every_us"))) {}
  ~GrantedSink() override { finish(); }

 protected:
  Poll poll(PollContext& ctx) override {
    if (!granter_.joinable()) {
      granter_ = std::thread([this, wakeup = ctx.wakeup()] {
        while (!quit_.load()) {
          std::this_thread::sleep_for(every_);
          const std::uint64_t grant = grants_.load();
          if (grant == granted_at_ns_.size()) break;
          granted_at_ns_[grant].store(monotonic_ns());
          grants_.store(grant + 1);
          wakeup();
        }
      });
    }
    const std::uint64_t grants = grants_.load();
    if (taken_ == grants) return Poll::Idle;
    std::optional<Frame> frame = ctx.try_pull();
    if (!frame) return Poll::Idle;
    if (frame->eos()) {
      std::sort(delays_.begin(), delays_.end());
      if (!delays_.empty() && delays_[delays_.size() / 2] > kMaxMedianDelayNs) {
        throw Error("the median grant was taken up " + std::to_string(delays_[delays_.size() / 2] / 1000) +
                    " us late: wake-ups are lost");
      }
      return Poll::Done;
    }
    delays_.push_back(monotonic_ns() - granted_at_ns_[taken_].load());
    if (frame->header().sequence != taken_) {
      throw Error("frame " + std::to_string(frame->header().sequence) + " came as number " + std::to_string(taken_));
    }
    ++taken_;
    return Poll::Progress;
  }
  void finish() override {
    quit_.store(true);
    if (granter_.joinable()) granter_.join();
  }

 private:
  std::chrono::microseconds every_;
  std::uint64_t taken_ = 0;
  static constexpr std::int64_t kMaxMedianDelayNs = 2'000'000;
  static constexpr std::size_t kMaxGrants = 100'000;
  std::atomic<std::uint64_t> grants_{0};
  std::vector<std::atomic<std::int64_t>> granted_at_ns_ = std::vector<std::atomic<std::int64_t>>(kMaxGrants);
  std::vector<std::int64_t> delays_;  // grant to take, by frame
  std::atomic<bool> quit_{false};
  std::thread granter_;
};

/// Paced by wake_at() alone: a frame every `every_us`, counting its polls; fails the run
/// when frames come late (a wake_at() not honoured waits for the loop's next timed pass,
/// its 100 ms idle sleep). The bound leaves room for a loaded machine: under ASan, beside
/// a process-mode test starting its RouDi, frames came a median 6.6 ms late.
class WakeAtSource final : public EventElement {
 public:
  static ElementInfo describe() {
    return {"test-wake-at-source", "a frame every interval, by wake_at()",
            {property<std::int64_t>("count", 20, "frames", 0, 10'000),
             property<std::int64_t>("every_us", 2000, "interval", 1, 1'000'000)}};
  }
  explicit WakeAtSource(const ElementArgs& args)
      : EventElement(args, {}, {{"out", schema_type<schema::Bytes>()}}),
        count_(properties().get<std::int64_t>("count")),
        every_ns_(properties().get<std::int64_t>("every_us") * 1000) {}

 protected:
  Poll poll(PollContext& ctx) override {
    polls().fetch_add(1);
    if (produced_ == count_) {
      std::sort(lateness_.begin(), lateness_.end());
      if (!lateness_.empty() && lateness_[lateness_.size() / 2] > kMaxMedianLatenessNs) {
        throw Error("the median frame came " + std::to_string(lateness_[lateness_.size() / 2] / 1000) +
                    " us after its wake_at() time");
      }
      return Poll::Done;
    }
    const std::int64_t now = monotonic_ns();
    if (due_ns_ == 0) due_ns_ = now;
    if (now < due_ns_ || !ctx.has_room()) {
      ctx.wake_at(due_ns_);
      return Poll::Idle;
    }
    FrameWriter writer = ctx.loan(256);
    auto data = writer.init<schema::Bytes>().initData(64);
    std::memcpy(data.begin(), &produced_, sizeof produced_);
    ctx.push(std::move(writer));
    lateness_.push_back(now - due_ns_);
    ++produced_;
    due_ns_ += every_ns_;
    return Poll::Progress;
  }

 public:
  static std::atomic<std::uint64_t>& polls() {
    static std::atomic<std::uint64_t> n{0};
    return n;
  }

 private:
  static constexpr std::int64_t kMaxMedianLatenessNs = 50'000'000;
  std::int64_t count_;
  std::int64_t every_ns_;
  std::int64_t produced_ = 0;
  std::int64_t due_ns_ = 0;
  std::vector<std::int64_t> lateness_;  // of each frame, behind its due time
};

class EventElementTest : public ::testing::TestWithParam<Placement> {};

TEST_P(EventElementTest, FramesMadeAvailableOnAnotherThreadAllArriveInOrder) {
  auto& record = test::SinkRecord::named("fed");
  record.clear();
  constexpr std::size_t frames = 150;
  Pipeline p;
  p.add("test-thread-fed-source", "src", {{"count", std::to_string(frames)}, {"every_us", "2000"}}, GetParam())
      .add("test-pattern-sink", "sink", {{"record", "fed"}});
  p.link("src", "sink");
  const RunReport report = test::run_within(p, 30s);
  ASSERT_EQ(record.sequences.size(), frames);
  for (std::size_t i = 0; i < frames; ++i) {
    ASSERT_EQ(record.sequences[i], i);
    ASSERT_EQ(record.payload_index[i], static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(record.mismatches, 0u);
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(report.find("src")->frames_out, frames);
  // From being made available to the sink: the Wakeup makes it well under a millisecond
  // (a loop that looked only at its timed passes would make it ~5 ms or more).
  EXPECT_LT(report.find("sink")->latency_p50_us, 2000.0);
}

TEST_P(EventElementTest, ASinkTakesFramesAsAnOutsideThreadGrantsThemAndEndsAtEos) {
  constexpr std::size_t frames = 150;
  Pipeline p;
  p.add("test-count-source", "src", {{"count", std::to_string(frames)}, {"bytes", "64"}})
      .add("test-granted-sink", "sink", {{"every_us", "2000"}}, GetParam());
  p.link("src", "sink");
  // A frame out of order, or grants taken late (the median over 2 ms), fails the run.
  const RunReport report = test::run_within(p, 30s);
  EXPECT_EQ(report.find("sink")->frames_in, frames);
  EXPECT_EQ(report.find("sink")->discarded, 0u);
}

TEST(EventElementMainTest, WakeAtPacesASourceWithoutPollingInBetween) {
  auto& record = test::SinkRecord::named("paced");
  record.clear();
  WakeAtSource::polls().store(0);
  Pipeline p;
  p.add("test-wake-at-source", "src", {{"count", "20"}, {"every_us", "2000"}})
      .add("test-pattern-sink", "sink", {{"record", "paced"}});
  p.link("src", "sink");
  const auto start = std::chrono::steady_clock::now();
  test::run_within(p, 30s);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(record.sequences.size(), 20u);
  EXPECT_GE(took, 38ms) << "frames came before they were due";  // the run fails if they came late
  // A frame each, one look when it is due, and a few early looks (the sink's frames and
  // the loop's idle passes poll it too): nothing like a busy loop over 40 ms.
  EXPECT_LT(WakeAtSource::polls().load(), 20u * 200u);
}

INSTANTIATE_TEST_SUITE_P(Placements, EventElementTest,
                         ::testing::Values(Placement::Main, Placement::Thread, Placement::Process),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

}  // namespace
}  // namespace sgn

int main(int argc, char** argv) {
  static sgn::Registry registry;
  sgn::test::register_test_elements(registry);
  registry.add<sgn::ThreadFedSource>().add<sgn::GrantedSink>().add<sgn::WakeAtSource>();
  sgn::init(argc, argv, registry);  // a worker process start ends here
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
