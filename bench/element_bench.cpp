// The elements at hardware speed, against anchors measured in the same run:
//   elements/sine-source/...   sine-source (thread) -> stats-sink, 262144 samples a frame
//   anchor/gst-audiotestsrc    gst-launch-1.0 audiotestsrc wave=sine, same frame size, float32
//                              (N buffers minus 1 buffer: process start and plugin loading left out)
//   elements/bytes-source/...  bytes-source fill=pattern (thread) -> null-sink, queue 4 (the frames'
//                              buffers stay in cache, as in a paced pipeline) and 100 (the default)
//   anchor/memset, anchor/memcpy   one buffer (two for memcpy) of the frame size, again and again
//   elements/bytes-pattern-kernel  bytes-source's fill=pattern alone, the same way as memset
//   elements/fir-*/...         samples frames (8 ch x 1024) -> fir -> stats-sink, all in the main
//                              thread: multiply-adds per CPU second = per core (feeder included)
//   anchor/fma-peak            multiply-adds/s of one core, registers only, at the CPU's vector width
//   elements/scale/...         dsp kernel alone on a frame-sized buffer, in place as the element
//                              runs it, and the element in a pipeline (main thread, queue 4)
// Pipeline rates come twice: per wall second and per CPU second of the process (the _cpu
// counters), which a machine loaded by other work does not skew.
//   elements/readme-demo/...   README's demo pipeline through sgn-launch (this build and, with
//                              SGN_BASELINE_LAUNCH, another build's), steady-state frames/s

#include <sgn/element.hpp>
#include <sgn/pipeline.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/samples.capnp.h>
#include <capnp/any.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numbers>

#include "bench_common.hpp"
#include "dsp/kernels.hpp"

#ifndef SGN_BINARY_DIR
#define SGN_BINARY_DIR "."
#endif

extern char** environ;

namespace bench {
namespace {

/// Samples frames copied from one prepared frame (a noisy sine): a cheap feeder for transforms.
class SamplesSource final : public sgn::Source<sgn::schema::Samples> {
 public:
  static sgn::ElementInfo describe() {
    return {"bench-samples-source",
            "Samples frames copied from one prepared frame",
            {sgn::property<std::int64_t>("channels", 8, "interleaved channels", 1, 1024),
             sgn::property<std::int64_t>("samples", 1024, "samples per channel", 1, 1 << 22),
             sgn::property<std::int64_t>("frames", 100, "frames to emit", 0, 1'000'000'000)}};
  }
  explicit SamplesSource(const sgn::ElementArgs& args)
      : Source(args),
        channels_(properties().get<std::size_t>("channels")),
        frames_(properties().get<std::uint64_t>("frames")),
        values_(channels_ * properties().get<std::size_t>("samples")) {
    for (std::size_t i = 0; i < values_.size(); ++i) {
      values_[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)) + 0.1 * std::cos(7.3 * i * i));
    }
  }
  std::size_t max_output_bytes() const override { return values_.size() * sizeof(float) + 256; }
  bool overwrites_output() const override { return true; }
  sgn::Flow produce(sgn::schema::Samples::Builder out, sgn::Context&) override {
    if (produced_++ == frames_) return sgn::Flow::Eos;
    out.setSampleRate(16384);
    out.setChannelCount(static_cast<std::uint32_t>(channels_));
    auto data = out.initData(static_cast<unsigned>(values_.size()));
    auto bytes = capnp::AnyList::Reader(data.asReader()).getRawBytes();
    std::memcpy(const_cast<capnp::byte*>(bytes.begin()), values_.data(), values_.size() * sizeof(float));
    return sgn::Flow::Ok;
  }

 private:
  std::size_t channels_;
  std::uint64_t frames_;
  std::vector<float> values_;
  std::uint64_t produced_ = 0;
};

/// Wall seconds of run() and CPU seconds of this process (every thread) over it. The CPU
/// figures give per-core rates that a machine loaded by other work does not skew, like the
/// anchors' (Google Benchmark divides their counters by CPU time).
struct Timed {
  double wall = 0, cpu = 0;
};
Timed run_timed(sgn::Pipeline& p) {
  const double cpu0 = cpu_self();
  const double wall = std::chrono::duration<double>(p.run().elapsed).count();
  return {wall, cpu_self() - cpu0};
}

/// Publishes `amount / seconds` as `name` (wall time) and `name`_cpu (per CPU second).
void rate(benchmark::State& state, const std::string& name, double amount, const Timed& t) {
  state.counters[name] = amount / t.wall;
  state.counters[name + "_cpu"] = amount / std::max(t.cpu, 1e-9);
}

/// Wall and CPU seconds (its own and its waited-for children's) of a program run to its end
/// (stdout and stderr to /dev/null); throws if it fails.
Timed spawn_timed(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const std::int64_t t0 = now_ns();
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  const double seconds = static_cast<double>(now_ns() - t0) / 1e9;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(argv[0] + " failed");
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return {seconds, secs(usage.ru_utime) + secs(usage.ru_stime)};
}

/// What `more` cost beyond `less`.
Timed minus(const Timed& more, const Timed& less) {
  return {std::max(more.wall - less.wall, 1e-6), std::max(more.cpu - less.cpu, 1e-6)};
}

constexpr std::int64_t kSineSamples = 262144;

std::uint64_t sine_frames() { return g_smoke ? 3 : 200; }

void bm_sine(benchmark::State& state) {
  const bool noise = state.range(0) != 0;
  const std::uint64_t frames = sine_frames();
  for (auto _ : state) {
    sgn::Pipeline p;
    sgn::PropertyMap props{{"samples", std::to_string(kSineSamples)}, {"frames", std::to_string(frames)}};
    if (!noise) props["noise"] = "0";
    p.add("sine-source", "src", props, sgn::Placement::Thread).add("stats-sink", "sink");
    p.link("src", "sink");
    const Timed t = run_timed(p);
    state.SetIterationTime(t.wall);
    rate(state, "frames_per_s", static_cast<double>(frames), t);
    rate(state, "Msamples_per_s", static_cast<double>(frames * kSineSamples) / 1e6, t);
  }
}

void bm_gst_sine(benchmark::State& state) {
  const std::uint64_t frames = sine_frames();
  auto gst = [](std::uint64_t buffers) {
    return spawn_timed({"gst-launch-1.0", "-q", "audiotestsrc", "wave=sine",
                          "samplesperbuffer=" + std::to_string(kSineSamples), "num-buffers=" + std::to_string(buffers),
                          "!", "audio/x-raw,format=F32LE,channels=1", "!", "fakesink"});
  };
  for (auto _ : state) {
    const Timed t = minus(gst(frames + 1), gst(1));
    state.SetIterationTime(t.wall);
    rate(state, "frames_per_s", static_cast<double>(frames), t);
    rate(state, "Msamples_per_s", static_cast<double>(frames * kSineSamples) / 1e6, t);
  }
}

void bm_bytes_source(benchmark::State& state) {
  const auto size = state.range(0);
  const auto queue = static_cast<std::size_t>(state.range(1));
  const std::string fill = state.range(2) ? "pattern" : "none";
  const std::uint64_t frames = g_smoke ? 3 : frames_for(size, 4e9, 50, 100000);
  for (auto _ : state) {
    sgn::Pipeline p(sgn::PipelineOptions{.queue_maxsize = queue});
    p.add("bytes-source", "src",
          {{"size", std::to_string(size)}, {"frames", std::to_string(frames)}, {"fill", fill}},
          sgn::Placement::Thread)
        .add("null-sink", "sink");
    p.link("src", "sink");
    const Timed t = run_timed(p);
    state.SetIterationTime(t.wall);
    rate(state, "frames_per_s", static_cast<double>(frames), t);
    rate(state, "GB_per_s", static_cast<double>(frames) * static_cast<double>(size) / 1e9, t);
  }
}

/// bytes-source's fill alone (the kernel its produce() calls once a frame), on one frame-sized buffer like memset.
void bm_pattern_kernel(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> dst(size, 1);
  std::uint8_t first = 0;
  for (auto _ : state) {
    sgn::elements::dsp::byte_ramp(dst.data(), size, ++first);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.counters["GB_per_s"] =
      benchmark::Counter(static_cast<double>(size) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_memset(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> dst(size, std::byte{1});
  int value = 0;
  for (auto _ : state) {
    std::memset(dst.data(), ++value & 0xff, size);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.counters["GB_per_s"] =
      benchmark::Counter(static_cast<double>(size) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}


void bm_fir(benchmark::State& state, const std::string& method, sgn::Placement placement) {
  const auto taps = state.range(0);
  constexpr std::int64_t kChannels = 8, kSamples = 1024;
  const std::uint64_t frames = g_smoke ? 5 : static_cast<std::uint64_t>(std::clamp<std::int64_t>(
                                                 400'000'000 / (taps * kChannels * kSamples), 200, 50000));
  for (auto _ : state) {
    sgn::Pipeline p;
    p.add("bench-samples-source", "src",
          {{"channels", std::to_string(kChannels)}, {"samples", std::to_string(kSamples)},
           {"frames", std::to_string(frames)}})
        .add("fir", "fir", {{"taps", std::to_string(taps)}, {"method", method}}, placement)
        .add("stats-sink", "sink");
    p.link("src", "fir").link("fir", "sink");
    const Timed t = run_timed(p);
    state.SetIterationTime(t.wall);
    const double values = static_cast<double>(frames) * kChannels * kSamples;
    rate(state, "frames_per_s", static_cast<double>(frames), t);
    rate(state, "Msamples_per_s", values / 1e6, t);
    rate(state, "GMAC_per_s", values * static_cast<double>(taps) / 1e9, t);
  }
}

typedef float f8 __attribute__((vector_size(32)));

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// CPU seconds of `rounds` rounds of 12 independent 8-float FMAs, every operand in registers
/// (enough accumulators to cover FMA latency times its throughput): the core's multiply-add peak.
__attribute__((target("arch=x86-64-v3"), noinline)) double fma_seconds(std::uint64_t rounds, float* sink) {
  f8 acc[12];
  for (int k = 0; k < 12; ++k) acc[k] = f8{} + static_cast<float>(k) * 1e-3f;
  f8 a = f8{} + 0.999f, b = f8{} + 1e-4f;
  const double t0 = thread_cpu_seconds();
  for (std::uint64_t r = 0; r < rounds; ++r) {
#pragma GCC unroll 12
    for (int k = 0; k < 12; ++k) acc[k] = __builtin_ia32_vfmaddps256(acc[k], a, b);
    __asm__ volatile("" : "+x"(a));
  }
  const double seconds = thread_cpu_seconds() - t0;
  float total = 0;
  for (int k = 0; k < 12; ++k) total += acc[k][0];
  *sink = total;
  return seconds;
}

void bm_fma_peak(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("no AVX2 + FMA on this CPU");
    return;
  }
  const std::uint64_t rounds = g_smoke ? 1000 : 100'000'000;
  float sink = 0;
  for (auto _ : state) {
    const double seconds = fma_seconds(rounds, &sink);
    state.SetIterationTime(seconds);
    state.counters["GMAC_per_s"] = static_cast<double>(rounds) * 12 * 8 / seconds / 1e9;
    state.counters["vector_floats"] = 8;
  }
  benchmark::DoNotOptimize(sink);
}

void bm_scale_kernel(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));  // bytes of a frame's values
  // In place, as the element runs it; the gain alternates so that the values stay put.
  std::vector<float> values(size / sizeof(float), 1.5f);
  float gain = 2.0f;
  for (auto _ : state) {
    sgn::elements::dsp::scale_in_place(values.data(), values.size(), gain);
    gain = 1.0f / gain;
    benchmark::DoNotOptimize(values.data());
    benchmark::ClobberMemory();
  }
  state.counters["GB_per_s"] =
      benchmark::Counter(static_cast<double>(size) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_scale(benchmark::State& state) {
  const auto size = state.range(0);  // bytes of a frame's values
  const std::int64_t samples = size / static_cast<std::int64_t>(sizeof(float));
  const std::uint64_t frames = g_smoke ? 3 : frames_for(size, 4e9, 50, 100000);
  for (auto _ : state) {
    sgn::Pipeline p(sgn::PipelineOptions{.queue_maxsize = 4});
    p.add("bench-samples-source", "src",
          {{"channels", "1"}, {"samples", std::to_string(samples)}, {"frames", std::to_string(frames)}})
        .add("scale", "scale", {{"gain", "2"}})
        .add("stats-sink", "sink");
    p.link("src", "scale").link("scale", "sink");
    const Timed t = run_timed(p);
    state.SetIterationTime(t.wall);
    rate(state, "frames_per_s", static_cast<double>(frames), t);
    rate(state, "GB_per_s", static_cast<double>(frames) * static_cast<double>(size) / 1e9, t);
  }
}

/// README's demo through a launcher: (N frames - N/10 frames) / time difference.
void bm_readme_demo(benchmark::State& state, std::string launcher) {
  if (launcher.empty()) {
    state.SkipWithError("SGN_BASELINE_LAUNCH is not set (the sgn-launch of the build to compare with)");
    return;
  }
  const std::uint64_t frames = g_smoke ? 200 : 40000, few = frames / 10;
  auto demo = [&](std::uint64_t n) {
    return spawn_timed({launcher, "-q", "sine-source", "rate=16384", "channels=8", "frames=" + std::to_string(n), "!",
                          "fir", "taps=64", "placement=process", "!", "scale", "gain=2", "!", "stats-sink"});
  };
  for (auto _ : state) {
    const Timed t = minus(demo(frames), demo(few));
    state.SetIterationTime(t.wall);
    rate(state, "frames_per_s", static_cast<double>(frames - few), t);
    state.counters["cpu_us_per_frame"] = t.cpu / static_cast<double>(frames - few) * 1e6;
  }
}

void manual(benchmark::internal::Benchmark* b) { b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond); }

}  // namespace

void register_element_bench_elements(sgn::Registry& registry) { registry.add<SamplesSource>(); }

void register_element_benchmarks() {
  const std::vector<std::int64_t> sizes =
      g_smoke ? std::vector<std::int64_t>{64 << 10} : std::vector<std::int64_t>{64 << 10, 1 << 20, 16 << 20};
  benchmark::RegisterBenchmark("anchor/fma-peak", guarded(bm_fma_peak))->Apply(manual);
  for (const std::int64_t size : sizes) {
    benchmark::RegisterBenchmark("elements/bytes-pattern-kernel", bm_pattern_kernel)->ArgName("size")->Arg(size);
    benchmark::RegisterBenchmark("anchor/memset", bm_memset)->ArgName("size")->Arg(size);
    benchmark::RegisterBenchmark("anchor/memcpy", bm_copy_buffer)->ArgName("size")->Arg(size);
  }
  benchmark::RegisterBenchmark("anchor/gst-audiotestsrc", guarded(bm_gst_sine))->Apply(manual);
  benchmark::RegisterBenchmark("elements/sine-source", guarded(bm_sine))->ArgName("noise")->Arg(0)->Arg(1)->Apply(manual);
  // pattern:0 is fill=none, the engine's own cost per frame: pattern's time less none's is the fill.
  auto* bytes = benchmark::RegisterBenchmark("elements/bytes-source", guarded(bm_bytes_source))
                    ->ArgNames({"size", "queue", "pattern"});
  for (const std::int64_t queue : {4, 100}) {
    for (const std::int64_t size : sizes) bytes->Args({size, queue, 1})->Args({size, queue, 0});
  }
  bytes->Apply(manual);
  for (const std::string method : {"direct", "fft"}) {
    // Source, fir and sink in the main thread: one core does all, the CPU rate is per core.
    auto* fir = benchmark::RegisterBenchmark(("elements/fir-" + method).c_str(), guarded([method](benchmark::State& s) {
                                               bm_fir(s, method, sgn::Placement::Main);
                                             }))
                    ->ArgName("taps");
    for (const std::int64_t taps : {16, 64, 128, 256, 1024}) {
      if (g_smoke && taps != 64) continue;
      fir->Arg(taps);
    }
    fir->Apply(manual);
  }
  auto* scale_kernel = benchmark::RegisterBenchmark("elements/scale-kernel", bm_scale_kernel)->ArgName("size");
  auto* scale = benchmark::RegisterBenchmark("elements/scale", guarded(bm_scale))->ArgName("size");
  for (const std::int64_t size : sizes) scale_kernel->Arg(size), scale->Arg(size);
  scale->Apply(manual);
  const std::string self = std::string(SGN_BINARY_DIR) + "/tools/sgn-launch";
  const char* baseline = std::getenv("SGN_BASELINE_LAUNCH");
  benchmark::RegisterBenchmark("elements/readme-demo/this-build",
                               guarded([self](benchmark::State& s) { bm_readme_demo(s, self); }))
      ->Apply(manual);
  benchmark::RegisterBenchmark("elements/readme-demo/baseline",
                               guarded([b = std::string(baseline ? baseline : "")](benchmark::State& s) {
                                 bm_readme_demo(s, b);
                               }))
      ->Apply(manual);
}

}  // namespace bench
