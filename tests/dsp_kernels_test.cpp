// The elements' inner loops (elements/src/dsp/kernels.hpp), against plain double-precision loops.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "dsp/kernels.hpp"

namespace sgn::elements::dsp {
namespace {

std::vector<float> uniform(std::size_t n, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> out(n);
  for (float& v : out) v = u(random);
  return out;
}

TEST(Correlate, EqualsTheDotProductsForEveryLengthStrideAndTapCount) {
  for (const std::size_t taps : {1u, 5u, 64u}) {
    for (const std::size_t stride : {1u, 2u, 3u, 8u, 9u}) {
      const auto h = uniform(taps, 1);
      const auto x = uniform(200 + taps * stride, 2);
      for (std::size_t n = 0; n <= 140; ++n) {
        std::vector<float> y(n + 1, 42.0f);
        correlate(x.data(), y.data(), n, h.data(), taps, stride);
        for (std::size_t i = 0; i < n; ++i) {
          double want = 0;
          for (std::size_t j = 0; j < taps; ++j) want += double(h[j]) * x[i + j * stride];
          ASSERT_NEAR(y[i], want, 1e-5) << taps << " taps, stride " << stride << ", n " << n << ", i " << i;
        }
        ASSERT_EQ(y[n], 42.0f) << "wrote past the end: n " << n;
      }
    }
  }
}

TEST(Correlate, AnOutputDoesNotDependOnWhereTheCallStarts) {
  const auto h = uniform(33, 3), x = uniform(400 + 33 * 2, 4);
  std::vector<float> whole(400), pieces(400);
  correlate(x.data(), whole.data(), 400, h.data(), 33, 2);
  for (std::size_t at = 0, len = 1; at < 400; at += len, len = len * 3 % 71 + 1) {
    const std::size_t n = std::min(len, 400 - at);
    correlate(x.data() + at, pieces.data() + at, n, h.data(), 33, 2);
  }
  EXPECT_EQ(pieces, whole);  // bit for bit: the vector blocks and the tail sum alike
}

TEST(ScaleKernel, MultipliesEveryValueWhereverTheBufferStartsAndEnds) {
  const auto x = uniform(1003, 5);
  // Every start within a cache line, lengths around the aligned 64-value blocks.
  for (std::size_t start = 0; start < 17; ++start) {
    for (const std::size_t n : {0u, 1u, 15u, 63u, 64u, 65u, 127u, 128u, 200u, 986u}) {
      std::vector<float> y(x.begin(), x.end());
      scale_in_place(y.data() + start, n, -2.5f);
      for (std::size_t i = 0; i < y.size(); ++i) {
        const bool inside = i >= start && i < start + n;
        ASSERT_EQ(y[i], inside ? x[i] * -2.5f : x[i]) << start << "/" << n << "/" << i;
      }
    }
  }
}

TEST(ByteRamp, CountsFromTheFirstByteModulo256) {
  for (const std::size_t n : {0u, 1u, 255u, 256u, 257u, 600u, 70001u}) {
    for (const unsigned first : {0u, 1u, 200u, 255u}) {
      std::vector<std::uint8_t> dst(n + 1, 0xee);
      byte_ramp(dst.data(), n, static_cast<std::uint8_t>(first));
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(dst[i], static_cast<std::uint8_t>(first + i)) << n << "/" << i;
      ASSERT_EQ(dst[n], 0xee);
    }
  }
}

TEST(RotateBlock, GivesTheSineOfEachChannelAtEachAngle) {
  for (const std::size_t channels : {1u, 3u, 8u}) {
    const std::size_t samples = 37;
    std::vector<double> cos_k, sin_k, s0, c0, a;
    for (std::size_t k = 0; k < samples; ++k) cos_k.push_back(std::cos(0.1 * k)), sin_k.push_back(std::sin(0.1 * k));
    for (std::size_t c = 0; c < channels; ++c) {
      a.push_back(0.7 * c + 0.3);
      s0.push_back(2 * std::sin(a.back()));
      c0.push_back(2 * std::cos(a.back()));
    }
    std::vector<float> y(samples * channels);
    rotate_block(y.data(), samples, channels, s0.data(), c0.data(), cos_k.data(), sin_k.data());
    for (std::size_t k = 0; k < samples; ++k) {
      for (std::size_t c = 0; c < channels; ++c) {
        ASSERT_NEAR(y[k * channels + c], 2 * std::sin(a[c] + 0.1 * k), 4e-7) << channels << ": " << k << "/" << c;
      }
    }
  }
}

std::vector<float> normals(std::uint64_t seed, const std::vector<std::size_t>& calls) {
  NormalGenerator g(seed);
  std::vector<float> out;
  for (const std::size_t n : calls) {
    std::vector<float> y(n, 1.0f);  // add_scaled adds: start from 1
    g.add_scaled(y.data(), n, 2.0f);
    for (float v : y) out.push_back((v - 1.0f) / 2.0f);
  }
  return out;
}

TEST(NormalGenerator, TheSequenceDependsOnTheSeedOnlyNotOnHowItIsAskedFor) {
  const auto whole = normals(9, {1000});
  EXPECT_EQ(normals(9, {1, 31, 32, 33, 5, 600, 298}), whole);
  EXPECT_EQ(normals(9, {999, 1}), whole);
  EXPECT_NE(normals(10, {1000}), whole);
  double sum = 0, squares = 0;
  for (float v : whole) sum += v, squares += double(v) * v;
  EXPECT_NEAR(sum / 1000, 0, 0.1);
  EXPECT_NEAR(std::sqrt(squares / 1000), 1, 0.07);
}

}  // namespace
}  // namespace sgn::elements::dsp
