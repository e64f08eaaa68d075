#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/pipeline.hpp>

#include <thread>

#include "support/test_elements.hpp"

namespace sgn {
namespace {

class PipelineTest : public ::testing::TestWithParam<Placement> {
 protected:
  void SetUp() override { test::register_test_elements(Registry::global()); }
};

TEST_P(PipelineTest, FramesFlowInOrderThroughATransform) {
  auto& record = test::SinkRecord::named("order");
  record.clear();
  Pipeline p;
  p.add("test-count-source", "src", {{"count", "1000"}})
      .add("test-transform", "t", {}, GetParam())
      .add("test-check-sink", "sink", {{"record", "order"}});
  p.link("src", "t").link("t", "sink");
  RunReport report = p.run();
  ASSERT_EQ(record.sequences.size(), 1000u);
  for (std::size_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(record.sequences[i], i);
    ASSERT_EQ(record.payload_index[i], static_cast<std::int64_t>(i));
  }
  EXPECT_TRUE(record.eos);
  EXPECT_EQ(report.find("t")->frames_in, 1000u);
  EXPECT_EQ(report.find("t")->frames_out, 1000u);
  EXPECT_FALSE(report.stopped);
}

INSTANTIATE_TEST_SUITE_P(Placements, PipelineTest, ::testing::Values(Placement::Main, Placement::Thread),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

}  // namespace
}  // namespace sgn
