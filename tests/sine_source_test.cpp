#include <gtest/gtest.h>
#include <sgn/elements/sine_source.hpp>

#include <cmath>
#include <numbers>

#include "support/element_harness.hpp"
#include "support/samples_util.hpp"

namespace sgn {
namespace {

using SourceHarness = test::Harness<test::NoPad, schema::Samples>;

std::vector<Frame> produce(const PropertyMap& properties, Placement placement = Placement::Main) {
  SourceHarness h("sine-source", properties, placement);
  h.run();
  return h.output();
}

TEST(SineSource, FramesHaveTheRequestedShapeAndAdvancingStartTimes) {
  for (Placement placement : {Placement::Main, Placement::Thread}) {
    auto frames = produce({{"rate", "1000"}, {"channels", "3"}, {"samples", "250"}, {"frames", "5"}}, placement);
    ASSERT_EQ(frames.size(), 5u);
    for (std::size_t k = 0; k < frames.size(); ++k) {
      auto view = frames[k].read<schema::Samples>();
      EXPECT_EQ(frames[k].header().sequence, k);
      EXPECT_EQ(view->getChannelCount(), 3u);
      EXPECT_EQ(view->getData().size(), 750u);
      EXPECT_EQ(view->getSampleRate(), 1000.0);
      EXPECT_EQ(view->getStartTimeNs(), static_cast<std::int64_t>(k) * 250'000'000);
    }
  }
}

TEST(SineSource, WithoutNoiseEachChannelIsAPhaseShiftedSine) {
  auto frames = produce({{"rate", "1000"}, {"channels", "2"}, {"samples", "100"}, {"frames", "2"},
                         {"frequency", "10"}, {"amplitude", "2"}, {"noise", "0"}});
  ASSERT_EQ(frames.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    auto v = test::values_of(frames[k]);
    for (std::size_t i = 0; i < 100; ++i) {
      const double n = static_cast<double>(k * 100 + i);
      for (std::size_t c = 0; c < 2; ++c) {
        const double expected = 2 * std::sin(2 * std::numbers::pi * 10 * n / 1000 + std::numbers::pi * c);
        ASSERT_NEAR(v[i * 2 + c], expected, 1e-5) << "frame " << k << " sample " << i << " channel " << c;
      }
    }
  }
}

TEST(SineSource, DurationAndFramesLimitTheStream) {
  // 1 s at 1000 Hz in frames of 300 samples: 4 frames (the last one runs past 1 s).
  EXPECT_EQ(produce({{"rate", "1000"}, {"samples", "300"}, {"duration", "1"}}).size(), 4u);
  EXPECT_EQ(produce({{"rate", "1000"}, {"samples", "300"}, {"duration", "1"}, {"frames", "2"}}).size(), 2u);
  EXPECT_EQ(produce({{"samples", "16"}, {"frames", "7"}}).size(), 7u);
}

TEST(SineSource, RealtimePacesFramesAtTheSampleRate) {
  const std::int64_t started = monotonic_ns();
  const auto frames = produce({{"rate", "1000"}, {"samples", "50"}, {"frames", "4"}, {"realtime", "true"}});
  ASSERT_EQ(frames.size(), 4u);
  // Frame k is complete at (k + 1) * 50 ms of stream time.
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_GE(frames[k].header().timestamp_ns - started, static_cast<std::int64_t>(k + 1) * 50'000'000 - 2'000'000);
  }
}

TEST(SineSource, NoiseFollowsTheSeedAndItsStandardDeviation) {
  const PropertyMap base{{"amplitude", "0"}, {"noise", "0.5"}, {"samples", "20000"}, {"frames", "1"}};
  auto with_seed = [&](const char* seed) {
    PropertyMap p = base;
    p["seed"] = seed;
    return test::values_of(produce(p).at(0));
  };
  const auto a = with_seed("7");
  EXPECT_EQ(a, with_seed("7"));
  EXPECT_NE(a, with_seed("8"));
  double sum = 0, squares = 0;
  for (float v : a) sum += v, squares += double(v) * v;
  const double mean = sum / a.size();
  EXPECT_NEAR(mean, 0, 0.02);
  EXPECT_NEAR(std::sqrt(squares / a.size() - mean * mean), 0.5, 0.02);
}

TEST(SineSource, BadPropertiesNameElementPropertyAndValue) {
  for (const auto& [property, value] : std::vector<std::pair<std::string, std::string>>{
           {"rate", "0"}, {"channels", "2000"}, {"channels", "0"}, {"samples", "0"}, {"noise", "-1"}, {"frames", "-3"}}) {
    const std::string message = test::property_error("sine-source", {{property, value}}, "sensor");
    EXPECT_NE(message.find("'sensor'"), std::string::npos) << message;
    EXPECT_NE(message.find(property), std::string::npos) << message;
    EXPECT_NE(message.find(value), std::string::npos) << message;
  }
  const std::string too_big = test::property_error("sine-source", {{"channels", "1024"}, {"samples", "1048576"}});
  EXPECT_NE(too_big.find("channels * samples"), std::string::npos) << too_big;
  EXPECT_EQ(test::property_error("sine-source", {{"channels", "1024"}, {"samples", "1024"}}), "");
}

}  // namespace
}  // namespace sgn
