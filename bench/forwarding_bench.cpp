// Forwarding benchmarks (issue 12, points 2 and 5): bench-source (untouched payload, as
// in the one-hop transport benchmark) -> T -> bench-sink, T a passthrough or an in-place
// transform in a worker thread or process, against the one hop without T (bench-source
// -> bench-sink placed where T would be), same run; and the one hop from a constant
// source (bytes-source fill=none, which promises zeros) against the same baseline.
//   forwarding/<placement>/<transform>/<size>   transform: none, passthrough, in-place,
//                                               bytes-source (no T; the constant source)
// Frames/s from the sink's first frame to its EOS (start-up excluded); `copies` is the
// sum of ElementStats::copies over the pipeline.

#include <sgn/pipeline.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/bytes.capnp.h>

#include <cstring>

#include "bench_common.hpp"

namespace bench {
namespace {

/// Writes the frame's index into its first 8 bytes, in place: an in-place transform
/// whose own work is small, so that the rate shows the engine's cost.
class StampInPlace final : public sgn::Transform<sgn::schema::Bytes, sgn::schema::Bytes> {
 public:
  static sgn::ElementInfo describe() {
    return {"bench-stamp-in-place", "writes the sequence number into the first 8 payload bytes, in place", {}};
  }
  explicit StampInPlace(const sgn::ElementArgs& args) : Transform(args) {}
  bool in_place() const override { return true; }
  sgn::Flow process_in_place(sgn::schema::Bytes::Builder data, sgn::Context& ctx) override {
    auto bytes = data.getData();
    const std::uint64_t sequence = ctx.input_header()->sequence;
    std::memcpy(bytes.begin(), &sequence, std::min<std::size_t>(bytes.size(), sizeof sequence));
    return sgn::Flow::Ok;
  }
};

void bm_forwarding(benchmark::State& state, sgn::Placement placement, std::string transform) {
  const auto size = state.range(0);
  // As many frames at every size: the payload is untouched (handles move, not bytes), and
  // 3,000 frames of 16 MiB took 4-20 ms, whose rates swung 2-5x between back-to-back runs.
  const std::int64_t frames = g_smoke ? 20 : 200'000;
  for (auto _ : state) {
    const std::string sink_path = report_path("fwd-sink");
    sgn::Pipeline p;
    if (transform == "bytes-source") {
      p.add("bytes-source", "src",
            {{"size", std::to_string(size)}, {"frames", std::to_string(frames)}, {"fill", "none"}});
    } else {
      p.add("bench-source", "src", {{"size", std::to_string(size)}, {"frames", std::to_string(frames)}});
    }
    if (transform == "none" || transform == "bytes-source") {
      p.add("bench-sink", "sink", {{"report", sink_path}}, placement);
      p.link("src", "sink");
    } else {
      p.add(transform == "passthrough" ? "passthrough" : "bench-stamp-in-place", "t", {}, placement)
          .add("bench-sink", "sink", {{"report", sink_path}});
      p.link("src", "t").link("t", "sink");
    }
    const sgn::RunReport run = p.run();
    const Report sink = read_report(sink_path);
    const double seconds = static_cast<double>(sink.last_ns - sink.first_ns) / 1e9;
    std::uint64_t copies = 0;
    for (const auto& e : run.elements) copies += e.copies;
    state.SetIterationTime(seconds > 0 ? seconds : 1e-9);
    state.counters["frames_per_s"] = seconds > 0 ? static_cast<double>(sink.frames - 1) / seconds : 0;
    state.counters["copies"] = static_cast<double>(copies);
    state.counters["size"] = static_cast<double>(size);
  }
}

}  // namespace

void register_forwarding_elements(sgn::Registry& registry) { registry.add<StampInPlace>(); }

void register_forwarding_benchmarks() {
  for (sgn::Placement placement : {sgn::Placement::Thread, sgn::Placement::Process}) {
    for (const char* transform : {"none", "passthrough", "in-place", "bytes-source"}) {
      for (std::int64_t size : {std::int64_t{1024}, std::int64_t{16} << 20}) {
        const std::string name = std::string("forwarding/") + std::string(sgn::to_string(placement)) + "/" +
                                 transform + "/" + std::to_string(size);
        benchmark::RegisterBenchmark(name.c_str(), bm_forwarding, placement, std::string(transform))
            ->Arg(g_smoke ? std::min<std::int64_t>(size, 4096) : size)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond)
            ->Iterations(1);
      }
    }
  }
}

}  // namespace bench
