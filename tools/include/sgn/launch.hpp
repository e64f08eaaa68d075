#pragma once
/// The sgn-launch and sgn-inspect programs as library functions, so a program with
/// its own element types gets the same command line:
///
///     int main(int argc, char** argv) {
///       static sgn::Registry registry;
///       sgn::elements::register_all(registry);   // if wanted
///       registry.add<MyElement>();
///       sgn::init(argc, argv, registry);         // a worker process start ends here
///       return sgn::launch_main(argc, argv, registry);
///     }

#include "sgn/registry.hpp"

namespace sgn {

/// Exit codes of launch_main.
enum LaunchExit : int {
  kLaunchOk = 0,           ///< the pipeline ran to EOS
  kLaunchFailed = 1,       ///< an element or the engine failed while it ran
  kLaunchUsage = 2,        ///< bad options, or a description that does not parse or validate
  kLaunchInterrupted = 130 ///< SIGINT/SIGTERM: drained (or, after a second signal, stopped)
};

/// `argv[0] [options] PIPELINE...` or `argv[0] [options] -f FILE`: builds the
/// pipeline with sgn::parse_launch from the element types of `registry`, runs it,
/// prints progress and a per-element table. Returns a LaunchExit code. `--help`
/// lists the options.
int launch_main(int argc, char** argv, Registry& registry);

/// `argv[0]` lists every element type of `registry`; `argv[0] NAME` describes one
/// (pads, properties, placements). Returns 0, or 2 for an unknown NAME or bad usage.
int inspect_main(int argc, char** argv, const Registry& registry);

}  // namespace sgn
