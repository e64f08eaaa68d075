#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/pipeline.hpp>

#include <numeric>
#include <thread>

#include "support/run_helpers.hpp"
#include "support/test_elements.hpp"

namespace sgn {
namespace {

using test::run_within;
using test::SinkRecord;

std::vector<std::uint64_t> iota(std::uint64_t n) {
  std::vector<std::uint64_t> out(n);
  std::iota(out.begin(), out.end(), 0);
  return out;
}

class PipelineTest : public ::testing::TestWithParam<Placement> {
 protected:
  void SetUp() override { test::register_test_elements(registry_); }
  Registry registry_;
};

TEST_P(PipelineTest, FramesFlowInOrderThroughATransform) {
  auto& record = SinkRecord::fresh("order");
  Pipeline p(PipelineOptions{.registry = &registry_});
  p.add("test-count-source", "src", {{"count", "1000"}})
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "order"}});
  p.link("src", "t").link("t", "sink");
  RunReport report = run_within(p);
  ASSERT_EQ(record.sequences.size(), 1000u);
  for (std::size_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(record.sequences[i], i);
    ASSERT_EQ(record.payload_index[i], static_cast<std::int64_t>(i));
  }
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(report.find("t")->frames_in, 1000u);
  EXPECT_EQ(report.find("t")->frames_out, 1000u);
  EXPECT_EQ(report.find("t")->placement, GetParam());
  EXPECT_EQ(report.find("sink")->discarded, 0u);
  EXPECT_FALSE(report.stopped);
  EXPECT_FALSE(report.interrupted);
  ASSERT_EQ(report.elements.size(), 3u);
  EXPECT_EQ(report.elements[0].name, "src");  // in the order they were added
  EXPECT_EQ(report.elements[2].name, "sink");
}

TEST_P(PipelineTest, EosAndGapsFlowThroughTransformsInOrder) {
  auto& record = SinkRecord::fresh("gaps");
  Pipeline p(PipelineOptions{.registry = &registry_});
  p.add("test-count-source", "src", {{"count", "20"}, {"gap_every", "3"}})
      .add("test-transform", "t1", {}, GetParam())
      .add("test-transform", "t2")
      .add("test-check-sink", "sink", {{"record", "gaps"}}, GetParam());
  p.link("src", "t1").link("t1", "t2").link("t2", "sink");
  RunReport report = run_within(p);
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(record.all_sequences, iota(20));
  EXPECT_EQ(record.gap_sequences, (std::vector<std::uint64_t>{2, 5, 8, 11, 14, 17}));
  ASSERT_EQ(record.sequences.size(), 14u);
  for (std::size_t i = 0; i < record.sequences.size(); ++i) {
    EXPECT_EQ(record.payload_index[i], static_cast<std::int64_t>(record.sequences[i]));
  }
  EXPECT_EQ(report.find("src")->gaps, 6u);
  EXPECT_EQ(report.find("t1")->gaps, 6u);
  EXPECT_EQ(report.find("sink")->gaps, 6u);
  EXPECT_EQ(report.find("sink")->frames_in, 14u);
  EXPECT_EQ(report.find("t2")->frames_out, 14u);
}

TEST_P(PipelineTest, EmptyStreamIsJustEos) {
  auto& record = SinkRecord::fresh("empty");
  Pipeline p(PipelineOptions{.registry = &registry_});
  p.add("test-count-source", "src", {{"count", "0"}}, GetParam())
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "empty"}});
  p.link("src", "t").link("t", "sink");
  RunReport report = run_within(p);
  EXPECT_TRUE(record.eos);
  EXPECT_TRUE(record.sequences.empty());
  EXPECT_EQ(report.find("sink")->frames_in, 0u);
}

TEST_P(PipelineTest, FanOutGivesEverySinkEveryFrameSharingTheChunk) {
  auto& a = SinkRecord::fresh("fan-a");
  auto& b = SinkRecord::fresh("fan-b");
  Pipeline p(PipelineOptions{.queue_maxsize = 8, .registry = &registry_});
  p.add("test-count-source", "src", {{"count", "500"}, {"bytes", "1024"}})
      .add("test-check-sink", "a", {{"record", "fan-a"}}, GetParam())
      .add("test-check-sink", "b", {{"record", "fan-b"}});
  p.link("src", "a").link("src:out", "b:in");
  RunReport report = run_within(p);
  EXPECT_TRUE(a.eos);
  EXPECT_TRUE(b.eos);
  EXPECT_EQ(a.sequences, iota(500));
  EXPECT_EQ(b.sequences, iota(500));
  ASSERT_EQ(a.headers.size(), b.headers.size());
  EXPECT_EQ(a.headers, b.headers) << "each frame must be one chunk seen by both sinks";
  EXPECT_EQ(report.find("src")->frames_out, 500u);
  EXPECT_EQ(report.find("a")->copies, 0u);
  EXPECT_EQ(report.find("b")->copies, 0u);
  EXPECT_EQ(report.find("a")->bytes_in, report.find("src")->bytes_out);
}

TEST_P(PipelineTest, SinkEndingEarlyCountsTheRestAsDiscarded) {
  auto& record = SinkRecord::fresh("early");
  Pipeline p(PipelineOptions{.registry = &registry_});
  p.add("test-count-source", "src", {{"count", "1000"}})
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "early"}, {"eos_after", "10"}}, GetParam());
  p.link("src", "t").link("t", "sink");
  RunReport report = run_within(p);
  EXPECT_EQ(record.sequences, iota(10));
  EXPECT_TRUE(record.eos);
  const ElementStats& sink = *report.find("sink");
  const ElementStats& t = *report.find("t");
  EXPECT_EQ(sink.frames_in, 10u);
  EXPECT_GT(sink.discarded + t.discarded, 0u);
  // Nothing vanished: every frame the source made was consumed or counted as discarded.
  EXPECT_EQ(report.find("src")->frames_out, t.frames_in + t.discarded);
  EXPECT_EQ(t.frames_out, sink.frames_in + sink.discarded);
  EXPECT_FALSE(report.stopped);
}

TEST_P(PipelineTest, SinkEndingEarlyEndsAnUnboundedPipeline) {
  auto& record = SinkRecord::fresh("early-unbounded");
  Pipeline p(PipelineOptions{.registry = &registry_});
  p.add("test-count-source", "src", {{"count", "-1"}}, GetParam())
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "early-unbounded"}, {"eos_after", "50"}});
  p.link("src", "t").link("t", "sink");
  RunReport report = run_within(p, std::chrono::seconds(5));
  EXPECT_EQ(record.sequences, iota(50));
  EXPECT_TRUE(record.eos);
  const ElementStats& sink = *report.find("sink");
  const ElementStats& t = *report.find("t");
  EXPECT_EQ(report.find("src")->frames_out, t.frames_in + t.discarded);
  EXPECT_EQ(t.frames_out, sink.frames_in + sink.discarded);
  EXPECT_FALSE(report.stopped);
  EXPECT_FALSE(report.interrupted);
}

TEST_P(PipelineTest, OneSinkEndingEarlyDoesNotStarveTheOther) {
  auto& a = SinkRecord::fresh("early-a");
  auto& b = SinkRecord::fresh("full-b");
  Pipeline p(PipelineOptions{.queue_maxsize = 4, .registry = &registry_});
  p.add("test-count-source", "src", {{"count", "300"}})
      .add("test-check-sink", "a", {{"record", "early-a"}, {"eos_after", "5"}}, GetParam())
      .add("test-check-sink", "b", {{"record", "full-b"}});
  p.link("src", "a").link("src", "b");
  RunReport report = run_within(p);
  EXPECT_EQ(a.sequences, iota(5));
  EXPECT_EQ(b.sequences, iota(300));
  EXPECT_EQ(report.find("a")->frames_in + report.find("a")->discarded, 300u);
}

TEST_P(PipelineTest, SamePipelineRunsTwice) {
  auto& record = SinkRecord::fresh("twice");
  Pipeline p(PipelineOptions{.registry = &registry_});
  p.add("test-count-source", "src", {{"count", "100"}}, GetParam())
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "twice"}}, GetParam());
  p.link("src", "t").link("t", "sink");
  for (int run = 0; run < 2; ++run) {
    record.clear();
    RunReport report = run_within(p);
    EXPECT_EQ(record.sequences, iota(100)) << "run " << run;
    EXPECT_TRUE(record.eos) << "run " << run;
    EXPECT_EQ(report.find("sink")->frames_in, 100u) << "run " << run;
  }
  EXPECT_EQ(p.element("t").name(), "t");  // handed back after the run
}

TEST_P(PipelineTest, TwoPipelinesOneAfterTheOther) {
  for (int n = 0; n < 2; ++n) {
    const std::string name = "sequential-" + std::to_string(n);
    auto& record = SinkRecord::fresh(name);
    Pipeline p(PipelineOptions{.registry = &registry_});
    p.add("test-count-source", "src", {{"count", std::to_string(50 + n)}})
        .add("test-transform", "t", {}, GetParam())
        .add("test-check-sink", "sink", {{"record", name}}, GetParam());
    p.link("src", "t").link("t", "sink");
    run_within(p);
    EXPECT_EQ(record.sequences, iota(50 + n));
    EXPECT_TRUE(record.eos);
  }
}

TEST_P(PipelineTest, SmallQueuesStillDeliverEverything) {
  auto& record = SinkRecord::fresh("small-queue");
  Pipeline p(PipelineOptions{.queue_maxsize = 1, .registry = &registry_});
  p.add("test-count-source", "src", {{"count", "2000"}}, GetParam())
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "small-queue"}}, GetParam());
  p.link("src", "t").link("t", "sink");
  run_within(p);
  EXPECT_EQ(record.sequences, iota(2000));
}

INSTANTIATE_TEST_SUITE_P(Placements, PipelineTest, ::testing::Values(Placement::Main, Placement::Thread),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

TEST(Pipeline, AddTemplateRegistersIntoThePipelinesRegistry) {
  Registry registry;
  Pipeline p(PipelineOptions{.registry = &registry});
  p.add<test::CountSource>("src", {{"count", "3"}}).add<test::CheckSink>("sink", {{"record", "template"}});
  p.link("src", "sink");
  EXPECT_TRUE(registry.contains("test-count-source"));
  EXPECT_EQ(p.element_names(), (std::vector<std::string>{"src", "sink"}));
  EXPECT_EQ(p.placement("sink"), Placement::Main);
  SinkRecord::fresh("template");
  run_within(p);
  EXPECT_EQ(SinkRecord::named("template").sequences.size(), 3u);
}

TEST(Pipeline, WithoutSgnInitEachPipelineHasARegistryOfItsOwn) {
  Pipeline a;
  Pipeline b;
  a.add<test::CountSource>("src");
  EXPECT_TRUE(a.registry().contains("test-count-source"));
  EXPECT_FALSE(b.registry().contains("test-count-source"));
  EXPECT_THROW(b.add("test-count-source", "src"), ValidationError);
}

TEST(Pipeline, DefaultPlacementAppliesToElementsAddedWithoutOne) {
  Registry registry;
  test::register_test_elements(registry);
  Pipeline p(PipelineOptions{.default_placement = Placement::Thread, .registry = &registry});
  p.add("test-count-source", "src").add("test-check-sink", "sink", {}, Placement::Main);
  EXPECT_EQ(p.placement("src"), Placement::Thread);
  EXPECT_EQ(p.placement("sink"), Placement::Main);
}

}  // namespace
}  // namespace sgn
