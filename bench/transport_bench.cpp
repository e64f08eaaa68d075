// Transport benchmarks: one hop (main -> worker) and round trip (main -> worker ->
// main, the worker answering with a new 8-byte frame; python-sgn's with the frame it got)
// at frame sizes 64 B .. 64 MiB, payload untouched or written by the producer and read by
// the consumer, over:
//   sgn-process  sgn-cpp, worker process (iceoryx chunks, zero copy)
//   sgn-thread   sgn-cpp, worker thread (heap frames, zero copy)
//   raw-iox      iceoryx publisher/subscriber in two processes, busy-polling (the floor)
//   unix-socket  the same Cap'n Proto frames through a Unix domain socket (two copies)
//   python-mpq   bare multiprocessing.Queue of pickled bytes, up to 100 frames in flight
//                (a best case for Python)
//   python-sgn   SGN's Parallelize pattern: pickled Frame objects through
//                multiprocessing.Queue; the round trip as ParallelizeTransformElement (put,
//                then a blocking get of the whole frame sent back: one frame in flight),
//                one hop as ParallelizeSinkElement (pipelined by the queue's maxsize, 100)
//                (both: bench/sgn_queue_bench.py, stdlib only)
// plus memcpy at the same sizes (the limit for touched payloads).
//
// Each run has two phases: throughput (a window of frames in flight, like the engine's
// credit window; one for python-sgn's round trip, as in SGN) and latency (one frame at a
// time; p50/p99 of send -> arrival for one hop, send -> answer back for the round trip).

#include <capnp/serialize.h>
#include <kj/io.h>
#include <sgn/pipeline.hpp>
#include <sgn/schemas/bytes.capnp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "frames/segment_builder.hpp"
#include "iceoryx_posh/popo/untyped_publisher.hpp"
#include "iceoryx_posh/popo/untyped_subscriber.hpp"
#include "process/process_runtime.hpp"
#include "sgn/latency_histogram.hpp"

#ifndef SGN_BENCH_DIR
#define SGN_BENCH_DIR "bench"
#endif

namespace bench {
namespace {

// ---------------------------------------------------------------- sgn-cpp

// With `interval_us` (the latency phase) the source sleeps between frames in the main
// thread, so a round trip's sink runs in a thread of its own (of the main process):
// otherwise answers would wait for the source's sleep to end.
// `spin_us` puts the consumer in the worker (echo or sink) in low-latency mode.
Measured run_sgn(sgn::Placement placement, bool round_trip, std::int64_t size, bool touch, std::uint64_t frames,
                 std::int64_t interval_us, std::int64_t spin_us = 0) {
  const std::string src_path = report_path("src"), mid_path = report_path("mid"), sink_path = report_path("sink");
  const std::string t = touch ? "true" : "false";
  sgn::Pipeline p;
  p.add("bench-source", "src",
        {{"size", std::to_string(size)},
         {"frames", std::to_string(frames)},
         {"touch", t},
         {"interval_us", std::to_string(interval_us)},
         {"report", src_path}});
  const std::string latency = interval_us > 0 ? "true" : "false";
  sgn::PropertyMap worker_spin;
  if (spin_us > 0) worker_spin.emplace(sgn::kSpinProperty, std::to_string(spin_us));
  auto with_spin = [&](sgn::PropertyMap properties) {
    properties.insert(worker_spin.begin(), worker_spin.end());
    return properties;
  };
  if (round_trip) {
    p.add("bench-ack", "echo", with_spin({{"touch", t}, {"latency", latency}, {"report", mid_path}}), placement);
    p.add("bench-sink", "sink", {{"latency", latency}, {"report", sink_path}},
          interval_us > 0 ? std::optional(sgn::Placement::Thread) : std::nullopt);
    p.link("src", "echo").link("echo", "sink");
  } else {
    p.add("bench-sink", "sink", with_spin({{"touch", t}, {"latency", latency}, {"report", sink_path}}), placement);
    p.link("src", "sink");
  }
  const sgn::RunReport run = p.run();
  const double cpu_end = cpu_self();
  const Report src = read_report(src_path);
  const Report sink = read_report(sink_path);
  Report mid;
  if (round_trip) mid = read_report(mid_path);
  Measured m;
  m.frames = sink.frames;
  m.bytes_per_frame = size;
  m.seconds = static_cast<double>(sink.last_ns - src.first_ns) / 1e9;
  m.cpu_seconds = cpu_end - src.cpu_first;  // every thread of the main process
  if (placement == sgn::Placement::Process) {
    const Report& worker = round_trip ? mid : sink;
    m.cpu_seconds += worker.cpu_last - worker.cpu_first;
  }
  m.p50_us = sink.p50_us;
  m.p99_us = sink.p99_us;
  const Report& receiver = round_trip ? mid : sink;
  if (receiver.last_ns > receiver.first_ns) {
    m.receiver_cpu_pct = (receiver.cpu_last - receiver.cpu_first) / (static_cast<double>(receiver.last_ns - receiver.first_ns) / 1e9) * 100;
  }
  for (const auto& e : run.elements) m.copies += e.copies;
  if (m.frames != frames) throw std::runtime_error("frames lost");
  return m;
}

Measured bench_sgn(sgn::Placement placement, bool round_trip, std::int64_t size, bool touch) {
  // Thread mode's small frames are bound by cross-core transfers, whose cost this guest's
  // host changes from run to run (bench/ANALYSIS.md): measured with each run.
  const double handoff = placement == sgn::Placement::Thread ? cache_line_handoff_ns() : 0;
  Measured m = run_sgn(placement, round_trip, size, touch, frames_for(size), 0);
  m.handoff_ns = handoff;
  // Latency: frames paced well apart, so none waits behind another.
  const double per_frame_us = m.seconds / static_cast<double>(m.frames) * 1e6;
  const auto interval = static_cast<std::int64_t>(std::max(200.0, 4 * per_frame_us));
  const Measured lat = run_sgn(placement, round_trip, size, touch, latency_frames_for(size), interval);
  m.p50_us = lat.p50_us;
  m.p99_us = lat.p99_us;
  return m;
}

// ------------------------------------------------- raw iceoryx and sockets

// The first bytes of every payload of the baselines.
struct WireHeader {
  std::uint64_t seq;
  std::int64_t ts;
  std::uint32_t flags;
  std::uint32_t pad;
};
constexpr std::uint32_t kEos = 1, kAck = 2, kPhase2 = 4;

volatile std::uint64_t g_read_value = 0;

/// What the receiving side of a baseline saw, as a helper reports it.
struct WorkerSide {
  std::int64_t first_ns = 0, last_ns = 0;  // phase 1
  double cpu = 0;                          // phase 1
  double p50_us = 0, p99_us = 0;           // phase 2, arrival - send
  std::uint64_t frames = 0;
  std::string text() const {
    std::ostringstream out;
    out.precision(17);
    out << first_ns << ' ' << last_ns << ' ' << cpu << ' ' << p50_us << ' ' << p99_us << ' ' << frames;
    return out.str();
  }
  static WorkerSide parse(const std::string& text) {
    WorkerSide w;
    std::istringstream in(text);
    in >> w.first_ns >> w.last_ns >> w.cpu >> w.p50_us >> w.p99_us >> w.frames;
    return w;
  }
};

/// Receiver bookkeeping shared by the raw-iox and socket helpers.
struct WorkerTally {
  explicit WorkerTally(std::uint64_t frames) : expected(frames) {}
  std::uint64_t expected;  // phase-1 frames: the clock is read at the first and the last
  WorkerSide side;
  double cpu_first = 0;
  bool phase2 = false;
  sgn::LatencyHistogram latency;
  void arrive(const WireHeader& h) {
    if (h.flags & kPhase2) {
      if (!phase2) {
        phase2 = true;
        side.cpu = cpu_self() - cpu_first;
      }
      latency.record(now_ns() - h.ts);
      return;
    }
    if (side.frames++ == 0) {
      side.first_ns = side.last_ns = now_ns();
      cpu_first = cpu_self();
    }
    if (h.seq + 1 == expected) side.last_ns = now_ns();
  }
  std::string finish() {
    if (!phase2) side.cpu = cpu_self() - cpu_first;
    side.p50_us = latency.quantile(0.5) / 1000.0;
    side.p99_us = latency.quantile(0.99) / 1000.0;
    return side.text();
  }
};

iox::capro::ServiceDescription raw_service(const std::string& instance, const std::string& event) {
  static const std::string kService = "sgnbench";
  using iox::capro::IdString_t;
  return {IdString_t(iox::cxx::TruncateToCapacity, kService), IdString_t(iox::cxx::TruncateToCapacity, instance),
          IdString_t(iox::cxx::TruncateToCapacity, event)};
}
iox::popo::PublisherOptions raw_pub() {
  iox::popo::PublisherOptions o;
  o.historyCapacity = 0;
  o.subscriberTooSlowPolicy = iox::popo::ConsumerTooSlowPolicy::WAIT_FOR_CONSUMER;
  return o;
}
iox::popo::SubscriberOptions raw_sub(std::uint64_t queue) {
  iox::popo::SubscriberOptions o;
  o.queueCapacity = queue;
  o.historyRequest = 0;
  o.queueFullPolicy = iox::popo::QueueFullPolicy::BLOCK_PRODUCER;
  return o;
}

void* raw_loan(iox::popo::UntypedPublisher& pub, std::uint32_t bytes) {
  for (;;) {
    auto r = pub.loan(bytes, 8);
    if (!r.has_error()) return r.value();
    if (r.get_error() != iox::popo::AllocationError::RUNNING_OUT_OF_CHUNKS) {
      throw std::runtime_error("iceoryx loan failed");
    }
    std::this_thread::yield();  // the pool is dry: the consumer still holds chunks
  }
}

// Busy polling, yielding the core after a while: on a loaded 2-core machine a pure
// spin loop can keep the other side off the CPU for a whole time slice.
const void* raw_take(iox::popo::UntypedSubscriber& sub) {
  for (int spins = 0;; ++spins) {
    auto r = sub.take();
    if (!r.has_error()) return r.value();
    if (spins < 2000) {
      __builtin_ia32_pause();
    } else {
      std::this_thread::yield();
    }
  }
}

bool wait_connected(const std::function<bool()>& ready) {
  const std::int64_t deadline = now_ns() + 10'000'000'000;
  while (!ready()) {
    if (now_ns() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

/// The producer side of a baseline: how to send one frame and take one answer.
struct Channel {
  std::function<void(std::uint64_t seq, std::uint32_t flags)> send;  // builds, touches, stamps, sends
  std::function<WireHeader()> receive_ack;
  bool credits = false;  // one hop needs acknowledgements for flow control
};

/// Runs both phases over `ch`; returns what the main side measured.
Measured drive(Channel& ch, bool round_trip, std::int64_t size, std::uint64_t window, WorkerSide& worker_out,
               const std::function<WorkerSide()>& finish_worker) {
  const std::uint64_t frames = frames_for(size);
  Measured m;
  m.frames = frames;
  m.bytes_per_frame = size;
  const double cpu0 = cpu_self();
  const std::int64_t t0 = now_ns();
  std::int64_t t_last = t0;
  std::uint64_t acked = 0;
  // One hop: with ch.credits, the receiver acknowledges every `batch`-th frame and the
  // producer keeps at most `window` unacknowledged (credit flow control, like the engine).
  const std::uint64_t batch = std::max<std::uint64_t>(1, window / 4);
  for (std::uint64_t seq = 0; seq < frames; ++seq) {
    if (round_trip) {
      while (seq - acked >= window) {
        ch.receive_ack();
        ++acked;
      }
    } else if (ch.credits) {
      while (seq - acked >= window) acked = ch.receive_ack().seq + 1;
    }
    const bool credit = !round_trip && ch.credits && (seq + 1) % batch == 0;
    ch.send(seq, round_trip || credit ? kAck : 0);
  }
  if (round_trip) {
    while (acked < frames) {
      ch.receive_ack();
      ++acked;
    }
    t_last = now_ns();
  }
  const double cpu_main = cpu_self() - cpu0;
  // Latency: one frame at a time.
  sgn::LatencyHistogram latency;
  const std::uint64_t n = latency_frames_for(size);
  for (std::uint64_t i = 0; i < n; ++i) {
    ch.send(frames + i, kAck | kPhase2);
    WireHeader h = ch.receive_ack();
    while (!(h.flags & kPhase2)) h = ch.receive_ack();  // credits of phase 1 still coming
    latency.record(now_ns() - h.ts);
  }
  ch.send(frames + n, kEos);
  const WorkerSide w = finish_worker();
  worker_out = w;
  if (w.frames != frames) throw std::runtime_error("baseline: frames lost");
  if (!round_trip) t_last = w.last_ns;
  m.seconds = static_cast<double>(t_last - t0) / 1e9;
  m.cpu_seconds = cpu_main + w.cpu;
  if (round_trip) {
    m.p50_us = latency.quantile(0.5) / 1000.0;
    m.p99_us = latency.quantile(0.99) / 1000.0;
  } else {
    m.p50_us = w.p50_us;
    m.p99_us = w.p99_us;
  }
  return m;
}

int g_raw_instance = 0;

Measured bench_raw_iox(bool round_trip, std::int64_t size, bool touch) {
  sgn::detail::ProcessRuntime::instance().ensure_main();  // RouDi and this process's runtime
  const std::string instance = "raw" + std::to_string(::getpid()) + "_" + std::to_string(g_raw_instance++);
  const std::uint64_t window = window_for(size);
  iox::popo::UntypedPublisher pub(raw_service(instance, "data"), raw_pub());
  iox::popo::UntypedSubscriber acks(raw_service(instance, "ack"), raw_sub(256));
  Helper helper({"raw-iox", instance, std::to_string(size), touch ? "1" : "0", std::to_string(window),
                 std::to_string(frames_for(size))});
  if (!wait_connected([&] {
        return pub.hasSubscribers() && acks.getSubscriptionState() == iox::SubscribeState::SUBSCRIBED;
      })) {
    throw std::runtime_error("raw iceoryx helper did not connect");
  }
  Channel ch;
  ch.credits = true;  // a blocked iceoryx publish busy-waits: never let the queue fill
  const auto bytes = static_cast<std::uint32_t>(std::max<std::int64_t>(size, sizeof(WireHeader)));
  ch.send = [&](std::uint64_t seq, std::uint32_t flags) {
    auto* chunk = static_cast<std::byte*>(raw_loan(pub, (flags & kEos) ? sizeof(WireHeader) : bytes));
    if (touch && !(flags & kEos)) std::memset(chunk, static_cast<int>(seq & 0xff) | 1, bytes);
    const WireHeader h{seq, now_ns(), flags, 0};
    std::memcpy(chunk, &h, sizeof h);
    pub.publish(chunk);
  };
  ch.receive_ack = [&] {
    const void* p = raw_take(acks);
    WireHeader h;
    std::memcpy(&h, p, sizeof h);
    acks.release(p);
    return h;
  };
  WorkerSide w;
  return drive(ch, round_trip, size, window, w, [&] { return WorkerSide::parse(helper.finish()); });
}

}  // namespace

int raw_iox_helper(const std::vector<std::string>& args) {
  const std::string instance = args.at(1);
  const bool touch = args.at(3) == "1";
  const std::uint64_t window = std::stoull(args.at(4));
  const std::uint64_t frames = std::stoull(args.at(5));
  sgn::detail::ProcessRuntime::instance().ensure_worker();
  iox::popo::UntypedSubscriber data(raw_service(instance, "data"), raw_sub(window));
  iox::popo::UntypedPublisher acks(raw_service(instance, "ack"), raw_pub());
  WorkerTally tally(frames);
  for (;;) {
    const void* p = raw_take(data);
    WireHeader h;
    std::memcpy(&h, p, sizeof h);
    if (h.flags & kEos) {
      data.release(p);
      break;
    }
    tally.arrive(h);
    if (touch) {
      const auto* chunk = static_cast<const std::byte*>(p);
      g_read_value = g_read_value + read_all(chunk, iox::mepoo::ChunkHeader::fromUserPayload(p)->userPayloadSize());
    }
    data.release(p);
    if (h.flags & kAck) {
      void* a = raw_loan(acks, sizeof(WireHeader));
      std::memcpy(a, &h, sizeof h);
      acks.publish(a);
    }
  }
  helper_result(tally.finish());
  return 0;
}

namespace {

// Cap'n Proto Bytes messages over a Unix domain socket: built in a reused buffer,
// written with writeMessageToFd, read with InputStreamMessageReader into reused scratch.
class SocketSender {
 public:
  SocketSender(int fd, std::size_t max_bytes) : fd_(fd), buffer_((max_bytes + 256) / 8 + 1) {}
  /// Sends a Bytes message of `bytes` payload; `fill` writes the payload.
  void send(std::size_t bytes, const std::function<void(std::byte*)>& fill) {
    std::memset(buffer_.data(), 0, 64);  // root pointer, struct and data pointer: rebuilt each time
    static const std::string what = "socket";
    sgn::detail::SegmentBuilder builder(reinterpret_cast<std::byte*>(buffer_.data()),
                                        buffer_.size() * sizeof(capnp::word), &what);
    auto data = builder.initRoot<sgn::schema::Bytes>().initData(static_cast<unsigned>(bytes));
    fill(reinterpret_cast<std::byte*>(data.begin()));
    capnp::writeMessageToFd(fd_, builder);
  }

 private:
  int fd_;
  std::vector<capnp::word> buffer_;
};

class SocketReceiver {
 public:
  SocketReceiver(int fd, std::size_t max_bytes)
      : in_(fd), buffered_(in_), scratch_((max_bytes + 256) / 8 + 1) {
    options_.traversalLimitInWords = std::max<std::uint64_t>(options_.traversalLimitInWords, scratch_.size() * 8);
  }
  /// Reads one message; calls `use` with its payload.
  void receive(const std::function<void(const std::byte*, std::size_t)>& use) {
    capnp::InputStreamMessageReader reader(buffered_, options_, kj::ArrayPtr<capnp::word>(scratch_.data(), scratch_.size()));
    auto data = reader.getRoot<sgn::schema::Bytes>().getData();
    use(reinterpret_cast<const std::byte*>(data.begin()), data.size());
  }

 private:
  kj::FdInputStream in_;
  kj::BufferedInputStreamWrapper buffered_;
  std::vector<capnp::word> scratch_;
  capnp::ReaderOptions options_;
};

Measured bench_socket(bool round_trip, std::int64_t size, bool touch) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error("socketpair failed");
  Helper helper({"socket", std::to_string(size), touch ? "1" : "0", std::to_string(frames_for(size))}, sv[1]);
  ::close(sv[1]);
  const int fd = sv[0];
  const auto bytes = static_cast<std::size_t>(std::max<std::int64_t>(size, sizeof(WireHeader)));
  SocketSender sender(fd, bytes);
  SocketReceiver receiver(fd, 64);
  Channel ch;
  ch.send = [&](std::uint64_t seq, std::uint32_t flags) {
    sender.send((flags & kEos) ? sizeof(WireHeader) : bytes, [&](std::byte* p) {
      if (touch && !(flags & kEos)) std::memset(p, static_cast<int>(seq & 0xff) | 1, bytes);
      const WireHeader h{seq, now_ns(), flags, 0};
      std::memcpy(p, &h, sizeof h);
    });
  };
  ch.receive_ack = [&] {
    WireHeader h{};
    receiver.receive([&](const std::byte* p, std::size_t) { std::memcpy(&h, p, sizeof h); });
    return h;
  };
  WorkerSide w;
  Measured m = drive(ch, round_trip, size, window_for(size), w, [&] { return WorkerSide::parse(helper.finish()); });
  ::close(fd);
  return m;
}

}  // namespace

int socket_helper(const std::vector<std::string>& args) {
  const auto size = static_cast<std::size_t>(std::stoll(args.at(1)));
  const bool touch = args.at(2) == "1";
  const std::uint64_t frames = std::stoull(args.at(3));
  const int fd = 3;
  SocketReceiver receiver(fd, std::max<std::size_t>(size, sizeof(WireHeader)));
  SocketSender sender(fd, 64);
  WorkerTally tally(frames);
  for (bool eos = false; !eos;) {
    WireHeader h{};
    receiver.receive([&](const std::byte* p, std::size_t n) {
      std::memcpy(&h, p, sizeof h);
      if (h.flags & kEos) {
        eos = true;
        return;
      }
      tally.arrive(h);
      if (touch) g_read_value = g_read_value + read_all(p, n);
    });
    if (!eos && (h.flags & kAck)) {
      sender.send(sizeof(WireHeader), [&](std::byte* p) { std::memcpy(p, &h, sizeof h); });
    }
  }
  helper_result(tally.finish());
  return 0;
}

namespace {

// ---------------------------------------------------------------- Python

bool have_python() { return std::system("command -v python3 >/dev/null 2>&1") == 0; }

// `pattern` is sgn_queue_bench.py's --pattern: "queue" (python-mpq, window_for(size) frames
// in flight) or "sgn" (python-sgn, SGN's queue_maxsize of 100).
Measured bench_python(const std::string& pattern, bool round_trip, std::int64_t size, bool touch) {
  std::uint64_t frames = 20000, latency_frames = 500;
  if (size >= (64 << 10)) frames = 3000;
  if (size >= (1 << 20)) frames = 300, latency_frames = 20;
  if (size >= (16 << 20)) frames = 20, latency_frames = 5;
  if (size >= (64 << 20)) frames = 6, latency_frames = 3;
  if (g_smoke) frames = 20, latency_frames = 3;
  const std::uint64_t window = pattern == "sgn" ? 100 : window_for(size);
  const std::string cmd = std::string("python3 ") + SGN_BENCH_DIR + "/sgn_queue_bench.py --pattern " + pattern +
                          " --mode " + (round_trip ? "roundtrip" : "onehop") + " --size " + std::to_string(size) +
                          " --frames " + std::to_string(frames) + " --latency-frames " +
                          std::to_string(latency_frames) + " --window " + std::to_string(window) +
                          (touch ? " --touch" : "");
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot start python3");
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) text += buf;
  if (::pclose(pipe) != 0) throw std::runtime_error("python transport failed: " + text);
  // "frames seconds cpu_seconds p50_us p99_us"
  Measured m;
  std::istringstream in(text);
  in >> m.frames >> m.seconds >> m.cpu_seconds >> m.p50_us >> m.p99_us;
  m.bytes_per_frame = size;
  if (m.frames != frames) throw std::runtime_error("python transport: unexpected output: " + text);
  return m;
}

// ---------------------------------------------------------------- registration

using Runner = std::function<Measured(bool round_trip, std::int64_t size, bool touch)>;

void register_transport(const std::string& name, const Runner& runner, bool (*available)() = nullptr) {
  for (const bool round_trip : {false, true}) {
    for (const bool touch : {false, true}) {
      for (const std::int64_t size : kSizes) {
        if (g_smoke && size != 1024 && size != (1 << 20)) continue;
        const std::string full = "transport/" + name + "/" + (round_trip ? "roundtrip" : "onehop") + "/" +
                                 (touch ? "touched" : "untouched") + "/" + std::to_string(size);
        benchmark::RegisterBenchmark(full.c_str(),
                                     [=](benchmark::State& state) {
                                       if (available && !available()) {
                                         state.SkipWithError("python3 not found");
                                         for (auto _ : state) {
                                         }
                                         return;
                                       }
                                       for (auto _ : state) {
                                         try {
                                           publish(state, runner(round_trip, size, touch));
                                         } catch (const std::exception& e) {
                                           state.SkipWithError(e.what());
                                         }
                                       }
                                     })
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}


}  // namespace

void register_transport_benchmarks() {
  for (const std::int64_t size : kSizes) {
    if (g_smoke && size != 1024) continue;
    benchmark::RegisterBenchmark(("memcpy/" + std::to_string(size)).c_str(), bm_copy_buffer)->Arg(size);
  }
  register_transport("sgn-process", [](bool rt, std::int64_t size, bool touch) {
    return bench_sgn(sgn::Placement::Process, rt, size, touch);
  });
  register_transport("sgn-thread", [](bool rt, std::int64_t size, bool touch) {
    return bench_sgn(sgn::Placement::Thread, rt, size, touch);
  });
  register_transport("raw-iox", bench_raw_iox);
  register_transport("unix-socket", bench_socket);
  register_transport(
      "python-mpq", [](bool rt, std::int64_t size, bool touch) { return bench_python("queue", rt, size, touch); },
      have_python);
  register_transport(
      "python-sgn", [](bool rt, std::int64_t size, bool touch) { return bench_python("sgn", rt, size, touch); },
      have_python);
}

}  // namespace bench

// ------------------------------------------------------- low-latency links
// One hop of 1 KiB frames from main to a worker process, paced like a sensor: p50/p99
// of send -> arrival and the receiving process's CPU (% of one core, first to last
// frame). Under load: 5,000 frames/s; idle: 10 frames/s.
//   sgn-process       the default: a short spin, then a futex sleep
//   sgn-process-spin  the receiving element with spin_us=kLinkSpinUs (low-latency mode)
//   raw-iox-spin      an iceoryx subscriber that never sleeps (pausing between looks,
//                     yielding once per millisecond as sgn's spin does): the floor of a
//                     spinning receiver
// The cache-line handoff between the CPUs is measured before each run under load: the
// host moves this guest's vCPUs between placements that set every cross-core transfer
// (bench/ANALYSIS.md).

namespace bench {

int raw_iox_paced_helper(const std::vector<std::string>& args) {
  const std::string instance = args.at(1);
  sgn::detail::ProcessRuntime::instance().ensure_worker();
  iox::popo::UntypedSubscriber data(raw_service(instance, "data"), raw_sub(256));
  sgn::LatencyHistogram latency;
  std::int64_t first_ns = 0, last_ns = 0;
  double cpu_first = 0, cpu_last = 0;
  std::uint64_t frames = 0;
  std::int64_t next_yield = now_ns() + 1'000'000;
  const auto take = [&]() -> const void* {
    for (int looks = 1;; ++looks) {
      auto r = data.take();
      if (!r.has_error()) return r.value();
      __builtin_ia32_pause();
      if (looks % 64 == 0 && now_ns() >= next_yield) {
        std::this_thread::yield();
        next_yield = now_ns() + 1'000'000;
      }
    }
  };
  for (;;) {
    const void* p = take();
    const std::int64_t arrived = now_ns();
    WireHeader h;
    std::memcpy(&h, p, sizeof h);
    data.release(p);
    if (h.flags & kEos) break;
    latency.record(arrived - h.ts);
    if (frames++ == 0) {
      first_ns = arrived;
      cpu_first = cpu_self();
    }
    last_ns = arrived;
    cpu_last = cpu_self();
  }
  const double seconds = static_cast<double>(last_ns - first_ns) / 1e9;
  std::ostringstream out;
  out.precision(17);
  out << latency.quantile(0.5) / 1000.0 << ' ' << latency.quantile(0.99) / 1000.0 << ' '
      << (seconds > 0 ? (cpu_last - cpu_first) / seconds * 100 : 0.0) << ' ' << frames;
  helper_result(out.str());
  return 0;
}

namespace {

// Longer than the gap between frames under load (200 us) and than the sender's stalls on
// these guests (the kernel's DAMON thread takes the CPU for 1-3 ms every 512 ms): the
// receiver rides through them instead of sleeping and paying a wake-up (ANALYSIS.md).
constexpr std::int64_t kLinkSpinUs = 5000;
struct Pace {
  const char* name;
  std::int64_t interval_us;
  std::uint64_t frames;
};
constexpr Pace kPaces[] = {{"load", 200, 5000}, {"idle", 100'000, 20}};

void sleep_until_ns(std::int64_t at) {
  timespec ts{static_cast<time_t>(at / 1'000'000'000), static_cast<long>(at % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

Measured raw_iox_paced(std::int64_t interval_us, std::uint64_t frames) {
  sgn::detail::ProcessRuntime::instance().ensure_main();
  const std::string instance = "rawpaced" + std::to_string(::getpid()) + "_" + std::to_string(g_raw_instance++);
  iox::popo::UntypedPublisher pub(raw_service(instance, "data"), raw_pub());
  Helper helper({"raw-iox-paced", instance});
  if (!wait_connected([&] { return pub.hasSubscribers(); })) throw std::runtime_error("raw iceoryx helper did not connect");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the helper reaches its take loop
  const std::int64_t start = now_ns();
  for (std::uint64_t i = 0; i <= frames; ++i) {
    const bool eos = i == frames;
    sleep_until_ns(start + static_cast<std::int64_t>(i) * interval_us * 1000);
    auto* chunk = static_cast<std::byte*>(raw_loan(pub, eos ? sizeof(WireHeader) : 1024));
    const WireHeader h{i, now_ns(), eos ? kEos : 0, 0};
    std::memcpy(chunk, &h, sizeof h);
    pub.publish(chunk);
  }
  std::istringstream in(helper.finish());
  Measured m;
  in >> m.p50_us >> m.p99_us >> m.receiver_cpu_pct >> m.frames;
  if (m.frames != frames) throw std::runtime_error("raw iceoryx paced: frames lost");
  m.bytes_per_frame = 1024;
  m.seconds = static_cast<double>(frames * static_cast<std::uint64_t>(interval_us)) / 1e6;
  return m;
}

}  // namespace

void register_link_latency_benchmarks() {
  for (const Pace& pace : kPaces) {
    const std::uint64_t frames = g_smoke ? 3 : pace.frames;
    const std::int64_t interval = g_smoke ? std::min<std::int64_t>(pace.interval_us, 1000) : pace.interval_us;
    for (const std::string transport : {"sgn-process", "sgn-process-spin", "raw-iox-spin"}) {
      const std::string full = "latency/" + transport + "/" + pace.name + "/1024";
      benchmark::RegisterBenchmark(full.c_str(),
                                   [=](benchmark::State& state) {
                                     for (auto _ : state) {
                                       try {
                                         const std::int64_t spin = transport == "sgn-process-spin" ? kLinkSpinUs : 0;
                                         const double handoff = std::string_view(pace.name) == "load" ? cache_line_handoff_ns() : 0;
                                         Measured m =
                                             transport == "raw-iox-spin"
                                                 ? raw_iox_paced(interval, frames)
                                                 : run_sgn(sgn::Placement::Process, false, 1024, false, frames,
                                                           interval, spin);
                                         m.handoff_ns = handoff;
                                         publish(state, m);
                                         state.counters["receiver_cpu_pct"] = m.receiver_cpu_pct;
                                         state.counters["spin_us"] = static_cast<double>(spin);
                                         state.counters["interval_us"] = static_cast<double>(interval);
                                       } catch (const std::exception& e) {
                                         state.SkipWithError(e.what());
                                       }
                                     }
                                   })
          ->Iterations(1)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace bench
