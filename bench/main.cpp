// sgn-bench: transport, pipeline, idle and start-up benchmarks (see bench/README in
// the top-level README's "Benchmarks" section). Worker processes of process-mode
// pipelines and the baselines' helpers are this same program started again.

#include <benchmark/benchmark.h>
#include <sgn/elements/register.hpp>
#include <sgn/init.hpp>
#include <sgn/registry.hpp>

#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace bench {
void register_transport_benchmarks();
void register_link_latency_benchmarks();
void register_pipeline_benchmarks();
void register_element_benchmarks();
void register_forwarding_elements(sgn::Registry& registry);
void register_forwarding_benchmarks();
}  // namespace bench

int main(int argc, char** argv) {
  static sgn::Registry registry;
  sgn::elements::register_all(registry);
  bench::register_bench_elements(registry);
  bench::register_element_bench_elements(registry);
  bench::register_forwarding_elements(registry);
  sgn::init(argc, argv, registry);  // a worker process start ends here

  bench::g_self = std::filesystem::canonical("/proc/self/exe").string();
  if (argc >= 3 && std::strcmp(argv[1], "--bench-helper") == 0) {
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
      if (args[0] == "raw-iox") return bench::raw_iox_helper(args);
      if (args[0] == "raw-iox-paced") return bench::raw_iox_paced_helper(args);
      if (args[0] == "socket") return bench::socket_helper(args);
      if (args[0] == "startup") return bench::startup_helper(args);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sgn-bench helper %s: %s\n", args[0].c_str(), e.what());
      return 1;
    }
    std::fprintf(stderr, "sgn-bench: unknown helper %s\n", args[0].c_str());
    return 2;
  }

  // --smoke: tiny sizes and a few frames each, so CI keeps every benchmark building and running.
  std::vector<char*> kept;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      bench::g_smoke = true;
    } else {
      kept.push_back(argv[i]);
    }
  }
  int kept_argc = static_cast<int>(kept.size());
  kept.push_back(nullptr);
  benchmark::Initialize(&kept_argc, kept.data());
  if (benchmark::ReportUnrecognizedArguments(kept_argc, kept.data())) return 1;
  bench::register_transport_benchmarks();
  bench::register_link_latency_benchmarks();
  bench::register_pipeline_benchmarks();
  bench::register_element_benchmarks();
  bench::register_forwarding_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  bench::remove_report_dir();
  return 0;
}
