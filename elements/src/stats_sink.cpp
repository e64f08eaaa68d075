#include "sgn/elements/stats_sink.hpp"

#include "detail/samples_data.hpp"

namespace sgn::elements {

ElementInfo StatsSink::describe() {
  return {"stats-sink", "counts Samples frames, bytes and rate, measures end-to-end latency, logs a summary", {}};
}

Flow StatsSink::consume(schema::Samples::Reader in, Context& ctx) {
  const std::int64_t now = monotonic_ns();
  const FrameHeader& header = *ctx.input_header();
  latency_.record(now - header.timestamp_ns);
  if (counts_.frames == 0) {
    first_ns_ = now;
    first_bytes_ = header.message_bytes;
  }
  last_ns_ = now;
  ++counts_.frames;
  counts_.bytes += header.message_bytes;
  counts_.samples += detail::samples_per_channel(in, name());
  counts_.channels = in.getChannelCount();
  counts_.sample_rate = in.getSampleRate();
  return Flow::Ok;
}

void StatsSink::gap(const FrameHeader&, Context&) { ++counts_.gaps; }

StreamStats StatsSink::stats() const {
  StreamStats s = counts_;
  s.seconds = static_cast<double>(last_ns_ - first_ns_) / 1e9;
  if (s.seconds > 0) {
    // The first arrival opens the span; what came after it is what the span measures.
    s.frames_per_second = static_cast<double>(s.frames - 1) / s.seconds;
    s.bytes_per_second = static_cast<double>(s.bytes - first_bytes_) / s.seconds;
  }
  s.latency_p50_us = latency_.quantile(0.50) / 1000.0;
  s.latency_p99_us = latency_.quantile(0.99) / 1000.0;
  return s;
}

void StatsSink::finish() {
  const StreamStats s = stats();
  log().info("{} frames, {} bytes, {} samples x {} channels at {} Hz, {} gaps; {:.1f} frames/s, {:.1f} MB/s; "
             "latency p50 {:.1f} us, p99 {:.1f} us",
             s.frames, s.bytes, s.samples, s.channels, s.sample_rate, s.gaps, s.frames_per_second,
             s.bytes_per_second / 1e6, s.latency_p50_us, s.latency_p99_us);
}

}  // namespace sgn::elements
