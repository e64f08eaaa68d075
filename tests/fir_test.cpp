#include <gtest/gtest.h>
#include <sgn/elements/fir.hpp>

#include <algorithm>
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

/// The direct form in double precision: y[i] = sum_j h[j] x[i - j], per channel, from zero state.
std::vector<double> reference(const std::vector<float>& h, const std::vector<float>& x, std::size_t channels) {
  std::vector<double> y(x.size(), 0.0);
  const std::size_t n = x.size() / channels;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < channels; ++c) {
      double acc = 0;
      for (std::size_t j = 0; j < h.size() && j <= i; ++j) acc += double(h[j]) * x[(i - j) * channels + c];
      y[i * channels + c] = acc;
    }
  }
  return y;
}

/// `values` cut into frames of the given instant counts, cycling through them.
std::vector<std::vector<float>> cut(const std::vector<float>& values, std::size_t channels,
                                    const std::vector<std::size_t>& instants) {
  std::vector<std::vector<float>> frames;
  for (std::size_t at = 0, k = 0; at < values.size(); ++k) {
    const std::size_t len = std::min(values.size() - at, instants[k % instants.size()] * channels);
    frames.emplace_back(values.begin() + static_cast<std::ptrdiff_t>(at),
                        values.begin() + static_cast<std::ptrdiff_t>(at + len));
    at += len;
  }
  return frames;
}

double max_error(const std::vector<float>& got, const std::vector<double>& want) {
  EXPECT_EQ(got.size(), want.size());
  double worst = 0;
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
  return worst;
}

// Both methods against the double-precision direct form, over frames of odd sizes (shorter and
// longer than the filter, not multiples of the SIMD width), several channels, tap counts around
// the vector blocks and around the switch-over to FFT.
TEST(Fir, BothMethodsEqualTheDirectFormAcrossFramesAndChannels) {
  const std::size_t fft_from = elements::Fir::kFftFromTaps;
  for (const std::size_t taps : {std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{65}, fft_from - 1,
                                 fft_from, fft_from + 1, std::size_t{1000}}) {
    for (const std::uint32_t channels : {1u, 3u, 8u}) {
      const auto h = elements::Fir::design_lowpass(taps, 0.2);
      const auto x = noise(1500 * channels, static_cast<unsigned>(taps * 10 + channels));
      const auto want = reference(h, x, channels);
      const auto frames = cut(x, channels, {700, 5, 333, 64, 398});
      for (const std::string method : {"direct", "fft"}) {
        const auto got = filter({{"taps", std::to_string(taps)}, {"cutoff", "0.2"}, {"method", method}}, frames,
                                channels);
        // Inputs in [-1, 1] and taps summing to 1: float rounding stays far below 1e-5.
        EXPECT_LT(max_error(got, want), 1e-5) << method << ", " << taps << " taps, " << channels << " channels";
      }
    }
  }
}

TEST(Fir, AutoPicksTheDirectFormBelowTheSwitchOverAndFftFromIt) {
  const std::size_t fft_from = elements::Fir::kFftFromTaps;
  const auto x = noise(2 * 900, 5);
  const auto frames = cut(x, 2, {900});
  for (const std::size_t taps : {fft_from - 1, fft_from}) {
    const PropertyMap props{{"taps", std::to_string(taps)}};
    PropertyMap direct = props, fft = props;
    direct["method"] = "direct";
    fft["method"] = "fft";
    const auto automatic = filter(props, frames, 2);
    EXPECT_EQ(automatic, filter(taps < fft_from ? direct : fft, frames, 2)) << taps << " taps";
  }
}

TEST(Fir, FftStateCarriesAcrossFramesInEveryPlacement) {
  const PropertyMap props{{"taps", "300"}, {"method", "fft"}};
  const auto x = noise(4 * 2000, 9);
  const auto want = reference(elements::Fir::design_lowpass(300, 0.25), x, 4);
  EXPECT_LT(max_error(filter(props, cut(x, 4, {2000}), 4), want), 1e-5);
  EXPECT_LT(max_error(filter(props, cut(x, 4, {17, 1024, 299}), 4, Placement::Thread), want), 1e-5);
}

TEST(Fir, BadPropertiesNameElementPropertyAndValue) {
  const std::string method = test::property_error("fir", {{"method", "iir"}}, "lowpass");
  EXPECT_NE(method.find("'lowpass'"), std::string::npos) << method;
  EXPECT_NE(method.find("method"), std::string::npos) << method;
  EXPECT_NE(method.find("iir"), std::string::npos) << method;
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
