// sgn-launch: runs a pipeline described on the command line, like gst-launch-1.0.
//   sgn-launch sine-source frames=2000 ! fir taps=64 placement=process ! stats-sink

#include <fmt/format.h>
#include <sgn/elements/register.hpp>
#include <sgn/init.hpp>
#include <sgn/launch.hpp>
#include <sgn/plugins.hpp>

int main(int argc, char** argv) {
  static sgn::Registry registry;  // the stock element types and the plugins'
  sgn::elements::register_all(registry);
  try {
    sgn::load_plugins(argc, argv, registry);  // before init: a worker start loads main's plugins
  } catch (const sgn::Error& e) {
    fmt::print(stderr, "ERROR: {}\n", e.what());
    return sgn::kLaunchUsage;
  }
  sgn::init(argc, argv, registry);  // a worker process start ends here
  return sgn::launch_main(argc, argv, registry);
}
