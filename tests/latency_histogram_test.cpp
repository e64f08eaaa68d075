#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "sgn/latency_histogram.hpp"

namespace sgn::detail {
namespace {

constexpr double kResolution = 1.0 / 32;  // 32 sub-buckets per power of two

void expect_near_relative(double actual, double expected) {
  EXPECT_NEAR(actual, expected, expected * kResolution) << "expected ~" << expected;
}

TEST(LatencyHistogram, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.quantile(0.5), 0.0);
  EXPECT_EQ(h.quantile(0.99), 0.0);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int ns = 0; ns < 32; ++ns) h.record(ns);
  EXPECT_EQ(h.count(), 32u);
  EXPECT_EQ(h.quantile(0.0), 0.0);
  EXPECT_EQ(h.quantile(0.5), 15.0);
  EXPECT_EQ(h.quantile(1.0), 31.0);
}

TEST(LatencyHistogram, QuantilesOfAUniformSpread) {
  LatencyHistogram h;
  for (int us = 1; us <= 1000; ++us) h.record(static_cast<std::int64_t>(us) * 1000);
  EXPECT_EQ(h.count(), 1000u);
  expect_near_relative(h.quantile(0.5), 500'000);
  expect_near_relative(h.quantile(0.9), 900'000);
  expect_near_relative(h.quantile(0.99), 990'000);
  expect_near_relative(h.quantile(0.0), 1'000);
  expect_near_relative(h.quantile(1.0), 1'000'000);
}

TEST(LatencyHistogram, QuantilesAreMonotonic) {
  LatencyHistogram h;
  std::uint64_t x = 12345;
  for (int i = 0; i < 10000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    h.record(static_cast<std::int64_t>(x >> 40));
  }
  double last = 0;
  for (double q = 0; q <= 1.0; q += 0.01) {
    const double v = h.quantile(q);
    EXPECT_GE(v, last) << "q=" << q;
    last = v;
  }
}

TEST(LatencyHistogram, OutlierShowsOnlyInTheTail) {
  LatencyHistogram h;
  for (int i = 0; i < 999; ++i) h.record(10'000);
  h.record(50'000'000);
  expect_near_relative(h.quantile(0.5), 10'000);
  expect_near_relative(h.quantile(0.99), 10'000);
  expect_near_relative(h.quantile(1.0), 50'000'000);
}

TEST(LatencyHistogram, NegativeAndHugeValuesAreClamped) {
  LatencyHistogram h;
  h.record(-5);
  EXPECT_EQ(h.quantile(1.0), 0.0);
  h.record(std::numeric_limits<std::int64_t>::max());
  expect_near_relative(h.quantile(1.0), static_cast<double>(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(h.count(), 2u);
}

TEST(LatencyHistogram, MergeAddsCounts) {
  LatencyHistogram a, b;
  for (int i = 0; i < 100; ++i) a.record(1'000);
  for (int i = 0; i < 300; ++i) b.record(1'000'000);
  a.merge(b);
  EXPECT_EQ(a.count(), 400u);
  expect_near_relative(a.quantile(0.2), 1'000);
  expect_near_relative(a.quantile(0.5), 1'000'000);
  EXPECT_EQ(b.count(), 300u);
}

}  // namespace
}  // namespace sgn::detail
