#pragma once
/// "stats-sink": measures a Samples stream and logs a summary when it ends.

#include <sgn/element.hpp>
#include <sgn/latency_histogram.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/samples.capnp.h>

#include <cstdint>

namespace sgn::elements {

/// What a StatsSink measured. Rates span the first to the last arrival.
struct StreamStats {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;    ///< payload bytes (Cap'n Proto segments)
  std::uint64_t samples = 0;  ///< per channel
  std::uint64_t gaps = 0;
  std::uint32_t channels = 0;  ///< of the last frame
  double sample_rate = 0;      ///< of the last frame, per channel
  double seconds = 0;          ///< from the first to the last arrival
  double frames_per_second = 0;
  double bytes_per_second = 0;
  double latency_p50_us = 0;  ///< header timestamp (source) to arrival here
  double latency_p99_us = 0;
};

class StatsSink final : public Sink<schema::Samples> {
 public:
  static ElementInfo describe();
  explicit StatsSink(const ElementArgs& args) : Sink(args) {}

  Flow consume(schema::Samples::Reader in, Context& ctx) override;
  void gap(const FrameHeader& header, Context& ctx) override;
  /// The numbers so far; read them after the run (or where the element runs).
  StreamStats stats() const;

 protected:
  void finish() override;

 private:
  StreamStats counts_;
  LatencyHistogram latency_;
  std::int64_t first_ns_ = 0, last_ns_ = 0;
  std::uint64_t first_bytes_ = 0;
};

}  // namespace sgn::elements
