#include <gtest/gtest.h>
#include <sgn/elements/sine_source.hpp>

#include <algorithm>
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

/// Every value of the frames, concatenated.
std::vector<float> concatenated(const std::vector<Frame>& frames) {
  std::vector<float> out;
  for (const Frame& f : frames) {
    const auto v = test::values_of(f);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

// Against the double-precision sine at each sample index, over 2.4 M instants (the phase is
// computed from the index for every block of 256 instants: no error accumulates) and in
// several channels: within float rounding of the amplitude.
TEST(SineSource, StaysWithinFloatRoundingOfTheExactSineOverLongRuns) {
  const double rate = 48000, frequency = 1234.56789, amplitude = 3;
  for (const std::size_t channels : {std::size_t{1}, std::size_t{5}}) {
    const std::size_t samples = 4000, frames = channels == 1 ? 600 : 60;
    const auto values = concatenated(produce({{"rate", "48000"}, {"frequency", "1234.56789"}, {"amplitude", "3"},
                                              {"noise", "0"}, {"channels", std::to_string(channels)},
                                              {"samples", std::to_string(samples)}, {"frames", std::to_string(frames)}}));
    ASSERT_EQ(values.size(), samples * frames * channels);
    double worst = 0;
    for (std::size_t n = 0; n < samples * frames; ++n) {
      const double turns = std::fmod(static_cast<double>(n) * frequency / rate, 1.0);
      for (std::size_t c = 0; c < channels; ++c) {
        const double phase = 2 * std::numbers::pi * (turns + static_cast<double>(c) / static_cast<double>(channels));
        worst = std::max(worst, std::abs(values[n * channels + c] - amplitude * std::sin(phase)));
      }
    }
    // Half a float ulp at the amplitude is 1.2e-7 * 3; the double arithmetic adds far less.
    EXPECT_LT(worst, 2e-7 * amplitude) << channels << " channel(s)";
  }
}

// The same stream whatever the frame size: sine and noise continue across frame boundaries.
TEST(SineSource, FramingDoesNotChangeTheStream) {
  const PropertyMap base{{"rate", "1000"}, {"frequency", "37.5"}, {"channels", "2"}, {"noise", "0.25"}, {"seed", "3"}};
  auto with = [&](const char* samples, const char* frames) {
    PropertyMap p = base;
    p["samples"] = samples;
    p["frames"] = frames;
    return concatenated(produce(p));
  };
  const auto whole = with("6000", "1"), framed = with("1000", "6"), odd = with("7", "858");
  ASSERT_EQ(framed.size(), whole.size());
  ASSERT_EQ(odd.size(), whole.size() + 2 * 6);  // 858 * 7 = 6006 instants
  for (std::size_t i = 0; i < whole.size(); ++i) {
    ASSERT_NEAR(framed[i], whole[i], 1e-6) << i;  // block phases differ: rounding only
    ASSERT_NEAR(odd[i], whole[i], 1e-6) << i;
  }
}

// The noise alone: mean, variance, skewness and kurtosis of a normal, its CDF (Kolmogorov-Smirnov
// at the 1% level) and tails, and no correlation from one value to the next. The seed is fixed,
// so the test is deterministic; the bounds are those a true normal sample meets 99% of the time.
TEST(SineSource, NoiseIsNormalWithTheRequestedStandardDeviation) {
  const double sigma = 2.5;
  const auto v = concatenated(produce({{"amplitude", "0"}, {"noise", "2.5"}, {"samples", "100000"}, {"frames", "10"},
                                       {"seed", "11"}}));
  const auto n = static_cast<double>(v.size());
  double sum = 0;
  for (float x : v) sum += x;
  const double mean = sum / n;
  double m2 = 0, m3 = 0, m4 = 0, lag = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double d = v[i] - mean;
    m2 += d * d, m3 += d * d * d, m4 += d * d * d * d;
    if (i > 0) lag += d * (v[i - 1] - mean);
  }
  m2 /= n, m3 /= n, m4 /= n;
  EXPECT_NEAR(mean, 0, 2.6 * sigma / std::sqrt(n));
  EXPECT_NEAR(std::sqrt(m2), sigma, 2.6 * sigma / std::sqrt(2 * n));
  EXPECT_NEAR(m3 / std::pow(m2, 1.5), 0, 2.6 * std::sqrt(6 / n));
  EXPECT_NEAR(m4 / (m2 * m2), 3, 2.6 * std::sqrt(24 / n));
  EXPECT_NEAR(lag / n / m2, 0, 2.6 / std::sqrt(n));

  std::vector<float> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  double ks = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const double cdf = 0.5 * std::erfc(-sorted[i] / sigma / std::numbers::sqrt2);
    ks = std::max({ks, std::abs(cdf - static_cast<double>(i) / n), std::abs(cdf - static_cast<double>(i + 1) / n)});
  }
  EXPECT_LT(ks, 1.63 / std::sqrt(n));
  const auto beyond = [&](double k) {
    return static_cast<double>(std::count_if(v.begin(), v.end(), [&](float x) { return std::abs(x) > k * sigma; })) / n;
  };
  EXPECT_NEAR(beyond(1), 0.3173, 0.0015);
  EXPECT_NEAR(beyond(2), 0.0455, 0.0006);
  EXPECT_NEAR(beyond(3), 0.0027, 0.00015);
  EXPECT_LT(sorted.back(), 5.9 * sigma);  // the generator's largest magnitude (dsp::NormalGenerator)
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
