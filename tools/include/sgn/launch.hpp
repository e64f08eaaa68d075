#pragma once
/// The sgn-launch and sgn-inspect programs as library functions, so a program with
/// its own element types gets the same command line:
///
///     int main(int argc, char** argv) {
///       sgn::elements::register_all(sgn::Registry::global());   // if wanted
///       sgn::Registry::global().add<MyElement>();
///       sgn::init(argc, argv);                 // a worker process start ends here
///       return sgn::launch_main(argc, argv);
///     }
///
/// Both use the element types of sgn::Registry::global().

namespace sgn {

/// Exit codes of launch_main.
enum LaunchExit : int {
  kLaunchOk = 0,           ///< the pipeline ran to EOS
  kLaunchFailed = 1,       ///< an element or the engine failed while it ran
  kLaunchUsage = 2,        ///< bad options, or a description that does not parse or validate
  kLaunchInterrupted = 130 ///< SIGINT/SIGTERM: drained (or, after a second signal, stopped)
};

/// `argv[0] [options] PIPELINE...` or `argv[0] [options] -f FILE`: builds the
/// pipeline with sgn::parse_launch, runs it, prints progress and a per-element
/// table. Returns a LaunchExit code. `--help` lists the options.
int launch_main(int argc, char** argv);

/// `argv[0]` lists every registered element type; `argv[0] NAME` describes one
/// (pads, properties, placements). Returns 0, or 2 for an unknown NAME or bad usage.
int inspect_main(int argc, char** argv);

}  // namespace sgn
