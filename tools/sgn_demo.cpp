// sgn-demo: a sensor pipeline, sine-source -> fir -> scale -> stats-sink, and a
// table of what every element did.

#include <fmt/format.h>
#include <sgn/elements/register.hpp>
#include <sgn/elements/stats_sink.hpp>
#include <sgn/error.hpp>
#include <sgn/init.hpp>
#include <sgn/pipeline.hpp>

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

constexpr const char* kUsage =
    "usage: sgn-demo [--placement main|thread|process] [--frames N]\n"
    "  --placement  where the fir stage runs (default: process)\n"
    "  --frames     frames the source produces (default: 2000)\n";

struct Options {
  sgn::Placement placement = sgn::Placement::Process;
  long long frames = 2000;
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return false;
    if (i + 1 >= argc) return false;
    const std::string_view value = argv[++i];
    if (arg == "--placement") {
      auto placement = sgn::parse_placement(value);
      if (!placement) return false;
      options.placement = *placement;
    } else if (arg == "--frames") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), options.frames);
      if (ec != std::errc() || end != value.data() + value.size() || options.frames < 1) return false;
    } else {
      return false;
    }
  }
  return true;
}

std::string latency(double us, bool measured) { return measured ? fmt::format("{:.1f}", us) : "-"; }

void print_report(const sgn::RunReport& report, const sgn::elements::StreamStats& sink) {
  fmt::print("{:<8} {:<12} {:<9} {:>10} {:>10} {:>9} {:>9} {:>10} {:>10}\n", "element", "type", "placement",
             "frames in", "frames out", "MB in", "MB out", "p50 us", "p99 us");
  for (const sgn::ElementStats& e : report.elements) {
    const bool measured = e.frames_in > 0;
    fmt::print("{:<8} {:<12} {:<9} {:>10} {:>10} {:>9.1f} {:>9.1f} {:>10} {:>10}\n", e.name, e.type_name,
               sgn::to_string(e.placement), e.frames_in, e.frames_out, e.bytes_in / 1e6, e.bytes_out / 1e6,
               latency(e.latency_p50_us, measured), latency(e.latency_p99_us, measured));
  }
  const double seconds = std::chrono::duration<double>(report.elapsed).count();
  fmt::print("\nelapsed {:.3f} s: {} frames, {:.1f} Msamples/s through the pipeline ({:.1f}x real time)\n", seconds,
             sink.frames, sink.samples * sink.channels / seconds / 1e6,
             sink.sample_rate > 0 ? sink.samples / sink.sample_rate / seconds : 0.0);
  fmt::print("stats-sink: {:.0f} frames/s, {:.1f} MB/s, end-to-end latency p50 {:.1f} us, p99 {:.1f} us\n",
             sink.frames_per_second, sink.bytes_per_second / 1e6, sink.latency_p50_us, sink.latency_p99_us);
}

}  // namespace

int main(int argc, char** argv) {
  static sgn::Registry registry;  // the stock element types; pipelines use it by default
  sgn::elements::register_all(registry);
  sgn::init(argc, argv, registry);  // a worker process start ends here

  Options options;
  if (!parse(argc, argv, options)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  try {
    sgn::Pipeline pipeline;
    pipeline
        .add("sine-source", "sensor",
             {{"rate", "16384"}, {"channels", "8"}, {"samples", "1024"}, {"frames", std::to_string(options.frames)}})
        .add("fir", "lowpass", {{"taps", "64"}, {"cutoff", "0.1"}}, options.placement)
        .add("scale", "gain", {{"gain", "2"}})
        .add("stats-sink", "stats");
    pipeline.link("sensor", "lowpass").link("lowpass", "gain").link("gain", "stats");
    fmt::print("sensor (sine-source, 16384 Hz x 8 channels, 1024 samples/frame, {} frames) -> lowpass (fir, 64 taps, "
               "{}) -> gain (scale) -> stats (stats-sink)\n\n",
               options.frames, sgn::to_string(options.placement));
    const sgn::RunReport report = pipeline.run();
    print_report(report, dynamic_cast<const sgn::elements::StatsSink&>(pipeline.element("stats")).stats());
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sgn-demo: pipeline failed:\n{}\n", sgn::describe_exception(e));
    return 1;
  }
}
