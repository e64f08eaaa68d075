#include "sgn/latency_histogram.hpp"

#include <bit>
#include <cmath>

namespace sgn {

int LatencyHistogram::bucket_of(std::uint64_t ns) noexcept {
  if (ns < (1u << kSubBits)) return static_cast<int>(ns);
  const int exponent = 63 - std::countl_zero(ns);  // >= kSubBits
  const int sub = static_cast<int>((ns >> (exponent - kSubBits)) & ((1u << kSubBits) - 1));
  return ((exponent - kSubBits + 1) << kSubBits) + sub;
}

double LatencyHistogram::bucket_mid(int bucket) noexcept {
  if (bucket < (1 << kSubBits)) return bucket;
  const int exponent = (bucket >> kSubBits) + kSubBits - 1;
  const int sub = bucket & ((1 << kSubBits) - 1);
  const double low = std::ldexp(1.0 + sub / double(1 << kSubBits), exponent);
  const double width = std::ldexp(1.0 / (1 << kSubBits), exponent);
  return low + width / 2;
}

void LatencyHistogram::record(std::int64_t ns) noexcept {
  ++counts_[bucket_of(ns > 0 ? static_cast<std::uint64_t>(ns) : 0)];
  ++count_;
}

double LatencyHistogram::quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= rank && counts_[b] != 0) return bucket_mid(b);
  }
  return bucket_mid(kBuckets - 1);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (int b = 0; b < kBuckets; ++b) counts_[b] += other.counts_[b];
  count_ += other.count_;
}

}  // namespace sgn
