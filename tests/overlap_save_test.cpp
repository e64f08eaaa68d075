// FFT overlap-save (elements/src/dsp/overlap_save.hpp) against the direct form in double.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "dsp/overlap_save.hpp"

namespace sgn::elements::dsp {
namespace {

TEST(OverlapSave, TransformLengthsArePowersOfTwoThatFitTheFilter) {
  for (const std::size_t taps : {1u, 2u, 63u, 64u, 256u, 1000u, 4096u}) {
    for (const std::size_t frame : {1u, 100u, 1024u, 100000u}) {
      const std::size_t size = OverlapSave::fft_size_for(taps, frame);
      EXPECT_EQ(size & (size - 1), 0u) << size;
      EXPECT_GE(size, 2 * taps) << taps << " taps, frames of " << frame;  // room for new outputs
      EXPECT_LE(size, std::max<std::size_t>(64, 16 * taps)) << taps << " taps, frames of " << frame;
    }
  }
}

TEST(OverlapSave, EqualsTheDirectFormAcrossCallsAndChannels) {
  std::mt19937 random(7);
  std::uniform_real_distribution<float> u(-1, 1);
  for (const std::size_t taps : {1u, 2u, 100u, 513u}) {
    for (const std::size_t channels : {1u, 4u}) {
      std::vector<float> h(taps);
      for (float& v : h) v = u(random) / static_cast<float>(taps);
      std::vector<float> x(3000 * channels), y(x.size());
      for (float& v : x) v = u(random);
      OverlapSave filter(h, channels, 700);
      std::size_t at = 0;
      for (const std::size_t n : {700u, 3u, 1500u, 1u, 796u}) {
        filter.filter(x.data() + at * channels, y.data() + at * channels, n);
        at += n;
      }
      ASSERT_EQ(at, 3000u);
      for (std::size_t i = 0; i < 3000; ++i) {
        for (std::size_t c = 0; c < channels; ++c) {
          double want = 0;
          for (std::size_t j = 0; j < taps && j <= i; ++j) want += double(h[j]) * x[(i - j) * channels + c];
          ASSERT_NEAR(y[i * channels + c], want, 1e-5) << taps << " taps, channel " << c << ", instant " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace sgn::elements::dsp
