// Bench-only elements over Bytes frames:
//   bench-source  N frames of `size` bytes; `touch` writes every byte; `interval_us` paces them
//   bench-ack     reads its input (every byte with `touch`) and answers with a new 8-byte frame
//                 (a received chunk forwarded to another topic would be copied once: see
//                 iox_transport.cpp; a new small frame keeps the round trip zero copy)
//   bench-sink    reads its input (every byte with `touch`)
// Each writes what it saw (first frame and end-of-stream time, CPU time of its process,
// latency with `latency`) to the file named by `report`, so numbers come back from worker
// processes too.

#include <sgn/element.hpp>
#include <sgn/latency_histogram.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/bytes.capnp.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "bench_common.hpp"

namespace bench {
namespace {

std::uint64_t read_all(const capnp::Data::Reader data) {
  return bench::read_all(reinterpret_cast<const std::byte*>(data.begin()), data.size());
}

volatile std::uint64_t g_sink_value = 0;

// SGN_BENCH_PIN=A,B (diagnosis of core placement): bench-source's thread runs on CPU A,
// bench-ack's and bench-sink's on CPU B. Unset: the scheduler places them.
void pin_from_env(int which) {
  const char* pins = std::getenv("SGN_BENCH_PIN");
  if (!pins || !*pins) return;
  int cpu[2] = {-1, -1};
  if (std::sscanf(pins, "%d,%d", &cpu[0], &cpu[1]) != 2 || cpu[which] < 0) return;
  pin_this_thread(cpu[which]);
}

/// What a bench element records, and writes to its report file at the end. Throughput
/// runs read the clock at the first frame and at the end (EOS) only, so the bench's own
/// bookkeeping stays out of the transport's per-frame cost; latency runs read it per frame.
class Recorder {
 public:
  Recorder(std::string path, bool per_frame_latency) : path_(std::move(path)), per_frame_latency_(per_frame_latency) {}
  void frame(const sgn::FrameHeader* header) {
    if (report_.frames++ == 0) {
      report_.first_ns = now_ns();
      report_.cpu_first = cpu_self();
    }
    if (per_frame_latency_ && header) latency_.record(now_ns() - header->timestamp_ns);
  }
  void finish() {
    report_.last_ns = now_ns();
    report_.cpu_last = cpu_self();
    report_.p50_us = latency_.quantile(0.5) / 1000.0;
    report_.p99_us = latency_.quantile(0.99) / 1000.0;
    if (!path_.empty()) write_report(path_, report_);
  }

 private:
  std::string path_;
  bool per_frame_latency_;
  Report report_;
  sgn::LatencyHistogram latency_;
};

// The properties bench-ack and bench-sink share, and the recorder they make of them.
std::vector<sgn::PropertySpec> consumer_properties() {
  return {sgn::property<bool>("touch", false, "read every payload byte"),
          sgn::property<bool>("latency", false, "record every frame's latency (reads the clock per frame)"),
          sgn::property<std::string>("report", "", "file to write the measurements to")};
}
Recorder consumer_recorder(const sgn::Properties& properties) {
  return Recorder(properties.get<std::string>("report"), properties.get<bool>("latency"));
}

class BenchSource final : public sgn::Source<sgn::schema::Bytes> {
  // 64 MiB and 64 bytes of framing fit the largest mempool of the default RouDi config.
  static constexpr std::int64_t kMaxSize = std::int64_t{64} << 20;
  // Frames times the interval in nanoseconds stays far within 64 bits (10^18).
  static constexpr std::int64_t kMaxFrames = 1'000'000'000;
  static constexpr std::int64_t kMaxIntervalUs = 1'000'000;

 public:
  static sgn::ElementInfo describe() {
    return {"bench-source",
            "Bytes frames for benchmarks",
            {sgn::property<std::int64_t>("size", 64, "payload bytes", 0, kMaxSize),
             sgn::property<std::int64_t>("frames", 1, "frames to emit", 0, kMaxFrames),
             sgn::property<bool>("touch", false, "write every payload byte"),
             sgn::property<std::int64_t>("interval_us", 0, "pace frames this far apart (0: as fast as possible)", 0,
                                         kMaxIntervalUs),
             sgn::property<std::string>("report", "", "file to write the measurements to")}};
  }
  explicit BenchSource(const sgn::ElementArgs& args)
      : Source(args),
        size_(properties().get<std::size_t>("size")),
        frames_(properties().get<std::uint64_t>("frames")),
        touch_(properties().get<bool>("touch")),
        interval_ns_(properties().get<std::int64_t>("interval_us") * 1000),
        recorder_(properties().get<std::string>("report"), false) {}
  std::size_t max_output_bytes() const override { return size_ + 64; }
  // Untouched payloads are unspecified bytes (pure transport); touched ones are written in full.
  bool overwrites_output() const override { return true; }
  // Paced like a sensor: the engine waits for the due time (interruptibly).
  std::int64_t next_frame_due_ns() const override {
    return interval_ns_ > 0 ? start_ns_ + static_cast<std::int64_t>(produced_) * interval_ns_ : 0;
  }
  sgn::Flow produce(sgn::schema::Bytes::Builder out, sgn::Context&) override {
    if (produced_ == frames_) return sgn::Flow::Eos;
    recorder_.frame(nullptr);
    auto data = out.initData(static_cast<unsigned>(size_));
    if (touch_) std::memset(data.begin(), static_cast<int>(produced_ & 0xff) | 1, size_);
    ++produced_;
    return sgn::Flow::Ok;
  }

 protected:
  void start() override {
    pin_from_env(0);
    start_ns_ = sgn::monotonic_ns();
  }
  void finish() override { recorder_.finish(); }

 private:
  std::size_t size_;
  std::uint64_t frames_;
  bool touch_;
  std::int64_t interval_ns_;
  std::int64_t start_ns_ = 0;
  std::uint64_t produced_ = 0;
  Recorder recorder_;
};

class BenchAck final : public sgn::Transform<sgn::schema::Bytes, sgn::schema::Bytes> {
 public:
  static sgn::ElementInfo describe() {
    return {"bench-ack",
            "answers every Bytes frame with a new 8-byte frame",
            consumer_properties()};
  }
  explicit BenchAck(const sgn::ElementArgs& args)
      : Transform(args),
        touch_(properties().get<bool>("touch")),
        recorder_(consumer_recorder(properties())) {}
  std::size_t max_output_bytes(sgn::schema::Bytes::Reader) const override { return 64; }
  sgn::Flow process(sgn::schema::Bytes::Reader in, sgn::schema::Bytes::Builder out, sgn::Context& ctx) override {
    recorder_.frame(ctx.input_header());
    std::uint64_t value = ctx.input_header()->sequence;
    if (touch_) value += read_all(in.getData());
    auto data = out.initData(8);
    std::memcpy(data.begin(), &value, 8);
    return sgn::Flow::Ok;
  }

 protected:
  void start() override { pin_from_env(1); }
  void finish() override { recorder_.finish(); }

 private:
  bool touch_;
  Recorder recorder_;
};

class BenchSink final : public sgn::Sink<sgn::schema::Bytes> {
 public:
  static sgn::ElementInfo describe() {
    return {"bench-sink",
            "consumes Bytes frames",
            consumer_properties()};
  }
  explicit BenchSink(const sgn::ElementArgs& args)
      : Sink(args),
        touch_(properties().get<bool>("touch")),
        recorder_(consumer_recorder(properties())) {}
  void start() override { pin_from_env(1); }
  sgn::Flow consume(sgn::schema::Bytes::Reader in, sgn::Context& ctx) override {
    recorder_.frame(ctx.input_header());
    if (touch_) g_sink_value = g_sink_value + read_all(in.getData());
    return sgn::Flow::Ok;
  }

 protected:
  void finish() override { recorder_.finish(); }

 private:
  bool touch_;
  Recorder recorder_;
};

/// Spends `block_ms` in every consume(): the thread that runs it is busy in an element.
class BlockingSink final : public sgn::Sink<sgn::schema::Bytes> {
 public:
  static sgn::ElementInfo describe() {
    return {"bench-blocking-sink",
            "spends a fixed time on every frame",
            {sgn::property<std::int64_t>("block_ms", 1000, "time spent per frame", 0, 60'000)}};
  }
  explicit BlockingSink(const sgn::ElementArgs& args)
      : Sink(args), block_(std::chrono::milliseconds(properties().get<std::int64_t>("block_ms"))) {}
  sgn::Flow consume(sgn::schema::Bytes::Reader, sgn::Context&) override {
    blocking_sink_frames().fetch_add(1);
    std::this_thread::sleep_for(block_);
    return sgn::Flow::Ok;
  }

 private:
  std::chrono::milliseconds block_;
};

}  // namespace

std::atomic<std::uint64_t>& blocking_sink_frames() {
  static std::atomic<std::uint64_t> frames{0};
  return frames;
}

void register_bench_elements(sgn::Registry& registry) {
  registry.add<BenchSource>().add<BenchAck>().add<BenchSink>().add<BlockingSink>();
}

}  // namespace bench
