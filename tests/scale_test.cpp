#include <gtest/gtest.h>

#include "support/element_harness.hpp"
#include "support/samples_util.hpp"

namespace sgn {
namespace {

using ScaleHarness = test::Harness<schema::Samples, schema::Samples>;

class ScaleTest : public ::testing::TestWithParam<Placement> {};

TEST_P(ScaleTest, MultipliesEverySampleAndKeepsTheRest) {
  ScaleHarness h("scale", {{"gain", "-2.5"}}, GetParam());
  h.push(test::samples_frame({1, 2, 3, 4, 5, 6}, 2, 500, 42)).push_gap().push(test::samples_frame({0.5f, -1}, 1));
  h.run();
  ASSERT_EQ(h.output().size(), 3u);
  auto view = h.output()[0].read<schema::Samples>();
  EXPECT_EQ(view->getSampleRate(), 500.0);
  EXPECT_EQ(view->getStartTimeNs(), 42);
  EXPECT_EQ(view->getChannelCount(), 2u);
  EXPECT_EQ(test::values_of(h.output()[0]), (std::vector<float>{-2.5f, -5, -7.5f, -10, -12.5f, -15}));
  EXPECT_TRUE(h.output()[1].gap());
  EXPECT_EQ(test::values_of(h.output()[2]), (std::vector<float>{-1.25f, 2.5f}));
  EXPECT_EQ(h.output()[2].header().sequence, 2u);
}

INSTANTIATE_TEST_SUITE_P(Placements, ScaleTest, ::testing::Values(Placement::Main, Placement::Thread),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

TEST(Scale, DefaultGainIsIdentity) {
  ScaleHarness h("scale");
  h.push(test::samples_frame({1.5f, -3}, 1));
  h.run();
  EXPECT_EQ(test::values_of(h.output().at(0)), (std::vector<float>{1.5f, -3}));
}

TEST(Scale, LongFramesAreScaledToTheLastValue) {
  std::vector<float> in(1003);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i) * 0.25f - 100;
  ScaleHarness h("scale", {{"gain", "3"}});
  h.push(test::samples_frame(in, 1));
  h.run();
  const auto out = test::values_of(h.output().at(0));
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) ASSERT_EQ(out[i], in[i] * 3.0f) << i;
}

TEST(Scale, ScalesEveryFrameInPlaceWithoutACopy) {
  Registry registry;
  elements::register_all(registry);
  for (const Placement placement : {Placement::Main, Placement::Thread}) {
    Pipeline p(PipelineOptions{.handle_signals = false, .registry = &registry});
    p.add("sine-source", "src", {{"frames", "30"}, {"samples", "1000"}, {"channels", "2"}})
        .add("scale", "scale", {{"gain", "0.5"}}, placement)
        .add("stats-sink", "sink");
    p.link("src", "scale").link("scale", "sink");
    const RunReport report = p.run();
    EXPECT_EQ(report.find("scale")->frames_out, 30u) << to_string(placement);
    EXPECT_EQ(report.find("sink")->frames_in, 30u) << to_string(placement);
    EXPECT_EQ(report.find("scale")->copies, 0u) << to_string(placement);
  }
}

TEST(Scale, MalformedFramesFail) {
  ScaleHarness h("scale");
  h.push(test::samples_frame({1, 2, 3}, 2));
  EXPECT_THROW(h.run(), ElementError);
}

TEST(Scale, BadGainNamesElementPropertyAndValue) {
  const std::string message = test::property_error("scale", {{"gain", "1e12"}}, "amp");
  EXPECT_NE(message.find("'amp'"), std::string::npos) << message;
  EXPECT_NE(message.find("gain"), std::string::npos) << message;
  EXPECT_NE(message.find("1e12"), std::string::npos) << message;
  EXPECT_NE(test::property_error("scale", {{"gain", "loud"}}).find("loud"), std::string::npos);
}

}  // namespace
}  // namespace sgn
