// Whole-pipeline benchmarks:
//   pipeline/...  sine-source -> N x (fir -> stats-sink), fir in the main thread or in
//                 N worker processes (fan-out: every fir filters every frame)
//   idle          a process-mode pipeline at 10 frames/s: CPU of main, workers and RouDi
//   startup/...   run() of a 2-worker process-mode pipeline in a fresh process, with RouDi
//                 started by the engine (cold, in its own private namespace) or already running
//   liveness/...  while main is busy in an element or waits for a paced source: a stop
//                 reaching a worker process, a worker's death reaching run()

#include <sgn/elements/stats_sink.hpp>
#include <sgn/pipeline.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "bench_common.hpp"
#include "process/process_runtime.hpp"
#include "support/leftovers.hpp"

#ifndef SGN_SOURCE_DIR
#define SGN_SOURCE_DIR "."
#endif

namespace bench {
namespace {

double cpu_children() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void bm_pipeline(benchmark::State& state, sgn::Placement placement) {
  const auto samples = state.range(0);
  const auto workers = state.range(1);
  const std::uint64_t frames =
      g_smoke ? 20 : static_cast<std::uint64_t>(std::max<std::int64_t>(8'000'000 / samples / workers, 50));
  for (auto _ : state) {
    sgn::Pipeline p;  // default options: the engine sizes each link's window to its mempool
    p.add("sine-source", "src",
          {{"rate", "16384"}, {"channels", "1"}, {"samples", std::to_string(samples)},
           {"frames", std::to_string(frames)}, {"noise", "0"}});
    for (std::int64_t i = 0; i < workers; ++i) {
      const std::string fir = "fir" + std::to_string(i), stats = "stats" + std::to_string(i);
      p.add("fir", fir, {{"taps", "64"}, {"cutoff", "0.1"}}, placement);
      p.add("stats-sink", stats);
      p.link("src", fir).link(fir, stats);
    }
    const double cpu0 = cpu_self() + cpu_children();
    const sgn::RunReport run = p.run();
    const double cpu = cpu_self() + cpu_children() - cpu0;
    double processed = 0;
    for (std::int64_t i = 0; i < workers; ++i) {
      const auto& sink = dynamic_cast<const sgn::elements::StatsSink&>(p.element("stats" + std::to_string(i)));
      const auto s = sink.stats();
      processed += static_cast<double>(s.samples);
    }
    // Wall time of run(), start-up included: in the main thread frames move in bursts,
    // so the sinks' arrival spans would flatter it.
    const double seconds = std::chrono::duration<double>(run.elapsed).count();
    state.SetIterationTime(seconds);
    state.counters["workers"] = static_cast<double>(workers);
    state.counters["samples_per_frame"] = static_cast<double>(samples);
    state.counters["frames_per_s"] = static_cast<double>(frames) / seconds;
    state.counters["Msamples_per_s"] = processed / seconds / 1e6;  // filtered, all firs together
    state.counters["cpu_s_total"] = cpu;
    state.counters["elapsed_s"] = std::chrono::duration<double>(run.elapsed).count();
  }
}

long find_roudi() {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string text;
    std::getline(comm, text);
    if (text == "iox-roudi") return std::stol(name);
  }
  return -1;
}

void bm_idle(benchmark::State& state) {
  const double warmup = g_smoke ? 0.3 : 1.0, window = g_smoke ? 0.5 : 4.0;
  for (auto _ : state) {
    sgn::Pipeline p;
    // 10 frames/s: 1024 samples per frame at 10240 samples/s, paced like a sensor.
    p.add("sine-source", "src", {{"rate", "10240"}, {"samples", "1024"}, {"realtime", "true"}})
        .add("fir", "fir", {{"taps", "64"}}, sgn::Placement::Process)
        .add("stats-sink", "stats");
    p.link("src", "fir").link("fir", "stats");
    std::exception_ptr error;
    std::thread runner([&] {
      try {
        p.run();
      } catch (...) {
        error = std::current_exception();
      }
    });
    std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
    const auto workers = sgn::test::children_named("sgn-worker:");
    const long roudi = find_roudi();
    auto others = [&] {
      double w = 0;
      for (long pid : workers) w += cpu_of_pid(pid);
      return std::pair{w, roudi > 0 ? cpu_of_pid(roudi) : 0.0};
    };
    const double main0 = cpu_self();
    const auto [workers0, roudi0] = others();
    const std::int64_t t0 = now_ns();
    std::this_thread::sleep_for(std::chrono::duration<double>(window));
    const double main1 = cpu_self();
    const auto [workers1, roudi1] = others();
    const double secs = static_cast<double>(now_ns() - t0) / 1e9;
    p.request_shutdown();
    runner.join();
    if (error) std::rethrow_exception(error);
    state.SetIterationTime(secs);
    state.counters["main_pct"] = (main1 - main0) / secs * 100;
    state.counters["workers_pct"] = (workers1 - workers0) / secs * 100;
    state.counters["roudi_pct"] = (roudi1 - roudi0) / secs * 100;
    state.counters["total_pct"] = (main1 - main0 + workers1 - workers0 + roudi1 - roudi0) / secs * 100;
    state.counters["worker_processes"] = static_cast<double>(workers.size());
  }
}

void bm_startup(benchmark::State& state, bool cold) {
  if (!cold) sgn::detail::ProcessRuntime::instance().ensure_main();  // a RouDi runs: the helper attaches
  const int reps = g_smoke ? 1 : 5;
  const std::string wrapper = cold ? std::string(SGN_SOURCE_DIR) + "/tests/support/private_shm.sh" : "";
  for (auto _ : state) {
    std::vector<double> startup, shutdown, exit, total;
    for (int i = 0; i < reps; ++i) {
      const std::int64_t spawned = now_ns();
      Helper helper({"startup"}, -1, wrapper);
      std::istringstream in(helper.finish());
      std::int64_t call = 0, first = 0, last = 0, returned = 0, gone = 0;
      in >> call >> first >> last >> returned >> gone;
      if (!gone) throw std::runtime_error("startup helper gave no times");
      startup.push_back(static_cast<double>(first - call) / 1e6);
      shutdown.push_back(static_cast<double>(returned - last) / 1e6);
      exit.push_back(static_cast<double>(gone - returned) / 1e6);
      total.push_back(static_cast<double>(helper.exited_ns() - spawned) / 1e6);
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    state.SetIterationTime(median(startup) / 1e3);
    state.counters["startup_ms"] = median(startup);    // run() called -> first frame at the sink
    state.counters["shutdown_ms"] = median(shutdown);  // last frame at the sink -> run() returned
    state.counters["exit_ms"] = median(exit);          // run() returned -> the process is gone
    state.counters["process_total_ms"] = median(total);
    state.counters["runs"] = reps;
  }
}

}  // namespace

// The pipeline runs in a child of the helper, which sees the moment that child is
// gone: the user's exit, apart from whatever the namespace around it does afterwards.
int startup_helper(const std::vector<std::string>&) {
  int times[2];
  if (::pipe(times) != 0) return 1;
  const pid_t child = ::fork();  // no thread exists yet in this helper
  if (child < 0) return 1;
  if (child == 0) {
    ::close(times[0]);
    const std::string sink_path = report_path("startup");
    sgn::Pipeline p;
    p.add("bench-source", "src", {{"size", "64"}, {"frames", "1"}})
        .add("bench-ack", "w1", {}, sgn::Placement::Process)
        .add("bench-ack", "w2", {}, sgn::Placement::Process)
        .add("bench-sink", "sink", {{"report", sink_path}});
    p.link("src", "w1").link("w1", "w2").link("w2", "sink");
    const std::int64_t call = now_ns();
    p.run();
    const std::int64_t returned = now_ns();
    const Report sink = read_report(sink_path);
    const std::string text = std::to_string(call) + " " + std::to_string(sink.first_ns) + " " +
                             std::to_string(sink.last_ns) + " " + std::to_string(returned) + " ";
    [[maybe_unused]] const ssize_t written = ::write(times[1], text.data(), text.size());
    std::exit(0);  // the user's exit path, exit handlers and all
  }
  ::close(times[1]);
  std::string text;
  char buffer[256];
  for (ssize_t n; (n = ::read(times[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  int status = 0;
  ::waitpid(child, &status, 0);
  const std::int64_t gone = now_ns();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  helper_result(text + std::to_string(gone) + "\n");
  return 0;
}

/// A pidfd of the one worker process named `name`, once it runs (-1 after 10 s).
int worker_pidfd(const std::string& name) {
  for (int i = 0; i < 10'000; ++i) {
    const auto pids = sgn::test::children_named("sgn-worker:" + name);
    if (pids.size() == 1) return static_cast<int>(::syscall(SYS_pidfd_open, pids.front(), 0));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return -1;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Main is inside a sink that spends 1 s per frame; request_stop(): how long until the
// worker process (an unpaced source) has seen the stop (its element's finish() ran:
// the source's report, stamped with the same monotonic clock) and until it has exited
// (which adds its iceoryx unregistration and the unmapping of RouDi's segments).
void bm_stop_reaches_worker(benchmark::State& state) {
  const int reps = g_smoke ? 1 : 10;
  for (auto _ : state) {
    std::vector<double> stop_ms, seen_ms;
    for (int i = 0; i < reps; ++i) {
      const std::string source_path = report_path("stop");
      sgn::Pipeline p;
      p.add("bench-source", "src", {{"size", "64"}, {"frames", "1000000000"}, {"report", source_path}},
            sgn::Placement::Process)
          .add("bench-blocking-sink", "sink", {{"block_ms", "1000"}});
      p.link("src", "sink");
      const std::uint64_t before = blocking_sink_frames().load();
      auto run = std::async(std::launch::async, [&] { return p.run(); });
      const int pidfd = worker_pidfd("src");
      while (blocking_sink_frames().load() == before) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // main is inside consume()
      const std::int64_t requested = now_ns();
      p.request_stop();
      pollfd gone{pidfd, POLLIN, 0};
      ::poll(&gone, 1, 10'000);
      stop_ms.push_back(static_cast<double>(now_ns() - requested) / 1e6);
      ::close(pidfd);
      run.get();
      seen_ms.push_back(static_cast<double>(read_report(source_path).last_ns - requested) / 1e6);
      std::remove(source_path.c_str());
    }
    state.SetIterationTime(median_of(seen_ms) / 1e3);
    state.counters["stop_to_worker_finished_ms_p50"] = median_of(seen_ms);
    state.counters["stop_to_worker_finished_ms_max"] = *std::max_element(seen_ms.begin(), seen_ms.end());
    state.counters["stop_to_worker_exit_ms_p50"] = median_of(stop_ms);
    state.counters["stop_to_worker_exit_ms_max"] = *std::max_element(stop_ms.begin(), stop_ms.end());
    state.counters["runs"] = reps;
  }
}

// A source paced at 2 frames/s in main; the worker (a transform) is SIGKILLed between
// two frames: how long until run() has thrown.
void bm_death_reaches_run(benchmark::State& state) {
  const int reps = g_smoke ? 1 : 10;
  for (auto _ : state) {
    std::vector<double> report_ms;
    for (int i = 0; i < reps; ++i) {
      sgn::Pipeline p;
      p.add("bench-source", "src", {{"size", "64"}, {"frames", "1000"}, {"interval_us", "500000"}})
          .add("bench-ack", "w", {}, sgn::Placement::Process)
          .add("bench-blocking-sink", "sink", {{"block_ms", "0"}});
      p.link("src", "w").link("w", "sink");
      const std::uint64_t before = blocking_sink_frames().load();
      auto run = std::async(std::launch::async, [&] { return p.run(); });
      const int pidfd = worker_pidfd("w");
      while (blocking_sink_frames().load() == before) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // main waits for the source's clock
      const std::int64_t killed = now_ns();
      ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
      try {
        run.get();
      } catch (const std::exception&) {
      }
      report_ms.push_back(static_cast<double>(now_ns() - killed) / 1e6);
      ::close(pidfd);
    }
    state.SetIterationTime(median_of(report_ms) / 1e3);
    state.counters["death_to_run_threw_ms_p50"] = median_of(report_ms);
    state.counters["death_to_run_threw_ms_max"] = *std::max_element(report_ms.begin(), report_ms.end());
    state.counters["runs"] = reps;
  }
}

void register_pipeline_benchmarks() {
  for (const auto& [name, placement] : {std::pair{"fir-process", sgn::Placement::Process},
                                        std::pair{"fir-main", sgn::Placement::Main}}) {
    auto* b = benchmark::RegisterBenchmark((std::string("pipeline/") + name).c_str(),
                                           guarded([placement = placement](benchmark::State& s) { bm_pipeline(s, placement); }));
    b->ArgNames({"samples", "workers"})->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
    for (const std::int64_t samples : {1024, 16384}) {
      for (std::int64_t workers = 1; workers <= 4; ++workers) {
        if (g_smoke && (samples != 1024 || workers > 2)) continue;
        b->Args({samples, workers});
      }
    }
  }
  benchmark::RegisterBenchmark("idle/process-10fps", guarded(bm_idle))->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
  benchmark::RegisterBenchmark("liveness/stop-reaches-worker", guarded(bm_stop_reaches_worker))
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("liveness/death-reaches-run", guarded(bm_death_reaches_run))
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("startup/roudi-started", guarded([](benchmark::State& s) { bm_startup(s, true); }))
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("startup/roudi-attached", guarded([](benchmark::State& s) { bm_startup(s, false); }))
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace bench
