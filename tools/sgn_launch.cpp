// sgn-launch: runs a pipeline described on the command line, like gst-launch-1.0.
//   sgn-launch sine-source frames=2000 ! fir taps=64 placement=process ! stats-sink

#include <sgn/elements/register.hpp>
#include <sgn/init.hpp>
#include <sgn/launch.hpp>

int main(int argc, char** argv) {
  static sgn::Registry registry;  // the stock element types
  sgn::elements::register_all(registry);
  sgn::init(argc, argv, registry);  // a worker process start ends here
  return sgn::launch_main(argc, argv, registry);
}
