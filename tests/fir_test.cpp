#include <gtest/gtest.h>
#include <sgn/elements/fir.hpp>

#include <cmath>
#include <numeric>
#include <random>

#include "support/element_harness.hpp"
#include "support/samples_util.hpp"

namespace sgn {
namespace {

using FirHarness = test::Harness<schema::Samples, schema::Samples>;

/// Filters `frames` (each interleaved, `channels` wide) and returns the concatenated output.
std::vector<float> filter(const PropertyMap& properties, const std::vector<std::vector<float>>& frames,
                          std::uint32_t channels, Placement placement = Placement::Main) {
  FirHarness h("fir", properties, placement);
  for (const auto& data : frames) h.push(test::samples_frame(data, channels));
  h.run();
  EXPECT_EQ(h.output().size(), frames.size());
  std::vector<float> out;
  for (const Frame& f : h.output()) {
    auto v = test::values_of(f);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

std::vector<float> noise(std::size_t n, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> out(n);
  for (float& v : out) v = uniform(random);
  return out;
}

TEST(Fir, ImpulseResponseEqualsTheTaps) {
  const auto taps = elements::Fir::design_lowpass(16, 0.2);
  std::vector<float> impulse(40, 0.0f);
  impulse[0] = 1.0f;
  const auto out = filter({{"taps", "16"}, {"cutoff", "0.2"}}, {impulse}, 1);
  ASSERT_EQ(out.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) EXPECT_EQ(out[i], i < 16 ? taps[i] : 0.0f) << "sample " << i;
}

TEST(Fir, ChannelsAreFilteredIndependently) {
  const auto taps = elements::Fir::design_lowpass(8, 0.1);
  std::vector<float> in(3 * 30, 0.0f);
  in[5 * 3 + 1] = 2.0f;  // channel 1, sample 5
  const auto out = filter({{"taps", "8"}, {"cutoff", "0.1"}}, {in}, 3);
  for (std::size_t i = 0; i < 30; ++i) {
    EXPECT_EQ(out[i * 3 + 0], 0.0f);
    EXPECT_EQ(out[i * 3 + 1], i >= 5 && i < 13 ? 2.0f * taps[i - 5] : 0.0f) << "sample " << i;
    EXPECT_EQ(out[i * 3 + 2], 0.0f);
  }
}

TEST(Fir, FilteringFramesEqualsFilteringTheirConcatenation) {
  const PropertyMap props{{"taps", "33"}, {"cutoff", "0.15"}};
  const std::uint32_t channels = 2;
  const auto a = noise(100 * channels, 1), b = noise(37 * channels, 2);
  std::vector<float> joined = a;
  joined.insert(joined.end(), b.begin(), b.end());
  const auto whole = filter(props, {joined}, channels);
  EXPECT_EQ(filter(props, {a, b}, channels), whole);
  EXPECT_EQ(filter(props, {a, b}, channels, Placement::Thread), whole);

  // Frames shorter than the filter: the state spans several of them.
  std::vector<std::vector<float>> pieces;
  for (std::size_t i = 0; i < joined.size(); i += 3 * channels) {
    pieces.emplace_back(joined.begin() + i, joined.begin() + std::min(joined.size(), i + 3 * channels));
  }
  EXPECT_EQ(filter(props, pieces, channels), whole);
}

TEST(Fir, IsALowPassWithUnityDcGain) {
  const auto taps = elements::Fir::design_lowpass(64, 0.1);
  EXPECT_NEAR(std::accumulate(taps.begin(), taps.end(), 0.0), 1.0, 1e-5);
  for (std::size_t i = 0; i < 32; ++i) EXPECT_FLOAT_EQ(taps[i], taps[63 - i]);  // linear phase

  std::vector<float> dc(200, 1.0f), nyquist(200);
  for (std::size_t i = 0; i < nyquist.size(); ++i) nyquist[i] = i % 2 ? -1.0f : 1.0f;
  const auto out = filter({{"taps", "64"}, {"cutoff", "0.1"}}, {dc, nyquist}, 1);
  EXPECT_NEAR(out[150], 1.0f, 1e-4);           // settled DC passes
  EXPECT_LT(std::abs(out[200 + 150]), 0.01f);  // Nyquist is stopped
}

TEST(Fir, KeepsRateStartTimeAndChannels) {
  FirHarness h("fir");
  h.push(test::samples_frame(std::vector<float>(12, 1.0f), 4, 48000, 123456789));
  h.run();
  ASSERT_EQ(h.output().size(), 1u);
  auto view = h.output()[0].read<schema::Samples>();
  EXPECT_EQ(view->getSampleRate(), 48000.0);
  EXPECT_EQ(view->getStartTimeNs(), 123456789);
  EXPECT_EQ(view->getChannelCount(), 4u);
  EXPECT_EQ(view->getData().size(), 12u);
  EXPECT_EQ(h.element<elements::Fir>().taps().size(), 64u);
}

TEST(Fir, AChannelCountChangeFailsNamingTheElement) {
  FirHarness h("fir");
  h.push(test::samples_frame(std::vector<float>(8), 2)).push(test::samples_frame(std::vector<float>(9), 3));
  try {
    h.run();
    FAIL() << "expected an error";
  } catch (const ElementError& e) {
    EXPECT_EQ(e.element(), "element");
    EXPECT_NE(test::message_of(e).find("channel count changed from 2 to 3"), std::string::npos) << test::message_of(e);
  }
}

TEST(Fir, BadPropertiesNameElementPropertyAndValue) {
  for (const auto& [property, value] : std::vector<std::pair<std::string, std::string>>{
           {"taps", "0"}, {"taps", "5000"}, {"cutoff", "0.6"}, {"cutoff", "0"}}) {
    const std::string message = test::property_error("fir", {{property, value}}, "lowpass");
    EXPECT_NE(message.find("'lowpass'"), std::string::npos) << message;
    EXPECT_NE(message.find(property), std::string::npos) << message;
    EXPECT_NE(message.find(value), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace sgn
