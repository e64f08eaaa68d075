#pragma once
// Shared pieces of the sgn-bench programs: clocks, CPU time, frame counts per
// size, result publishing (Google Benchmark counters that bench/report.py reads)
// and helper processes (this program started again with --bench-helper).

#include <benchmark/benchmark.h>
#include <sgn/registry.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace bench {

/// Runs `fn`, turning an exception into a skipped benchmark with the message.
template <class Fn>
auto guarded(Fn fn) {
  return [fn](benchmark::State& s) {
    try {
      fn(s);
    } catch (const std::exception& e) {
      s.SkipWithError(e.what());
    }
  };
}

/// Frame sizes of the transport benchmarks (payload bytes).
inline const std::vector<std::int64_t> kSizes = {64, 1024, 64 << 10, 1 << 20, 16 << 20, 64 << 20};

/// --smoke: every benchmark runs once with a handful of frames (CI).
extern bool g_smoke;
/// Path of this program (helpers are this program started again).
extern std::string g_self;

/// CLOCK_MONOTONIC in ns (system-wide: comparable across processes).
std::int64_t now_ns() noexcept;
/// CPU seconds (user + system) of this process, all threads.
double cpu_self() noexcept;
/// Runs the calling thread on `cpu` only.
void pin_this_thread(int cpu) noexcept;
/// One-way cache-line handoff between the first two CPUs this process may run on, in ns
/// (two pinned threads pass a line back and forth; the median of 5 rounds): what every
/// cross-thread transfer of a frame pays. 0 with fewer than two CPUs.
double cache_line_handoff_ns();
/// CPU seconds of process `pid` so far (from /proc/<pid>/stat), 0 if it is gone.
double cpu_of_pid(long pid) noexcept;
/// Reads every byte of [p, p + n) (summed, so the reads are not optimized away).
std::uint64_t read_all(const std::byte* p, std::size_t n);

/// memcpy of one buffer of state.range(0) bytes into another, again and again: the
/// bandwidth anchor of touched payloads (counters bytes_per_second, frame_bytes, GB_per_s).
void bm_copy_buffer(benchmark::State& state);

/// Frames for a throughput run at `size` bytes: about `budget` payload bytes, within [lo, hi].
std::uint64_t frames_for(std::int64_t size, double budget_bytes = 2e9, std::uint64_t lo = 8,
                         std::uint64_t hi = 200000);
/// Frames for a latency run (one frame in flight).
std::uint64_t latency_frames_for(std::int64_t size);

/// Frames a producer may have in flight, like the engine's credit window: a quarter of
/// the default RouDi pool of that size, at most 100.
std::uint64_t window_for(std::int64_t size);

/// What one transport run measured.
struct Measured {
  std::uint64_t frames = 0;
  std::int64_t bytes_per_frame = 0;
  double seconds = 0;  // first frame sent to last frame received
  double cpu_seconds = 0;  // every process involved, over the run
  double p50_us = 0, p99_us = 0;  // latency phase (one frame in flight)
  std::uint64_t copies = 0;  // copies the engine counted (sgn transports)
  double receiver_cpu_pct = 0;  // CPU of the receiving process, % of one core, first to last frame
  double handoff_ns = 0;  // cache_line_handoff_ns() just before the run (thread mode), 0: not measured
};

/// Publishes `m` as counters (frames_per_s, GB_per_s, p50_us, p99_us, cpu_us_per_frame)
/// and the manual iteration time.
void publish(benchmark::State& state, const Measured& m);

/// A helper process: this program with --bench-helper <args...>; its fd 3 is `fd3`
/// (if >= 0), and what it writes to fd 4 is returned by finish().
class Helper {
 public:
  Helper(const std::vector<std::string>& args, int fd3 = -1, const std::string& wrapper = {});
  ~Helper();
  Helper(const Helper&) = delete;
  Helper& operator=(const Helper&) = delete;
  long pid() const noexcept { return pid_; }
  /// Waits for the exit; returns what the helper wrote to fd 4. Throws if it failed.
  std::string finish();
  /// CPU seconds of the helper (after finish(), from its rusage).
  double cpu_seconds() const noexcept { return cpu_; }
  std::int64_t exited_ns() const noexcept { return exited_ns_; }

 private:
  long pid_ = -1;
  int out_ = -1;
  double cpu_ = 0;
  std::int64_t exited_ns_ = 0;
};

/// Writes `text` to fd 4 (a helper's result channel).
void helper_result(const std::string& text);

/// Reads a report file of numbers written by a bench element ("key value" lines) and removes it.
struct Report {
  std::int64_t first_ns = 0, last_ns = 0;
  double cpu_first = 0, cpu_last = 0;
  std::uint64_t frames = 0;
  double p50_us = 0, p99_us = 0;
};
Report read_report(const std::string& path);
void write_report(const std::string& path, const Report& r);
/// A fresh report path, in a directory of this process's own (made on first use, removed at exit).
std::string report_path(const std::string& tag);
/// Removes that directory (main calls it before returning: the engine's exit handler ends a
/// process whose iceoryx runtime saw a worker killed with _exit, before earlier handlers run).
void remove_report_dir() noexcept;

// Helper entry points (run in helper processes).
int raw_iox_helper(const std::vector<std::string>& args);
int raw_iox_paced_helper(const std::vector<std::string>& args);
int socket_helper(const std::vector<std::string>& args);
int startup_helper(const std::vector<std::string>& args);

/// Registers the bench elements in `registry`.
void register_bench_elements(sgn::Registry& registry);
/// Registers the feeder of the element benchmarks (bench-samples-source).
void register_element_bench_elements(sgn::Registry& registry);
/// Frames that reached a bench-blocking-sink of this process (it is busy from then on).
std::atomic<std::uint64_t>& blocking_sink_frames();

}  // namespace bench
