#pragma once
/// A log-linear latency histogram (32 sub-buckets per power of two, ~3% resolution),
/// cheap enough to record every frame; the engine's stats and the stats sink use it.

#include <array>
#include <cstdint>

namespace sgn {

class LatencyHistogram {
 public:
  void record(std::int64_t ns) noexcept;
  /// The q-quantile (0..1) in ns; 0 when empty.
  double quantile(double q) const noexcept;
  std::uint64_t count() const noexcept { return count_; }
  void merge(const LatencyHistogram& other) noexcept;

 private:
  static constexpr int kSubBits = 5;
  static constexpr int kBuckets = 64 << kSubBits;
  static int bucket_of(std::uint64_t ns) noexcept;
  static double bucket_mid(int bucket) noexcept;
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
};

}  // namespace sgn
