// sgn-inspect: lists the element types, or describes one, like gst-inspect-1.0.

#include <fmt/format.h>
#include <sgn/elements/register.hpp>
#include <sgn/launch.hpp>
#include <sgn/plugins.hpp>
#include <sgn/registry.hpp>

int main(int argc, char** argv) {
  sgn::Registry registry;  // the stock element types and the plugins'
  sgn::elements::register_all(registry);
  try {
    sgn::load_plugins(argc, argv, registry);
  } catch (const sgn::Error& e) {
    fmt::print(stderr, "ERROR: {}\n", e.what());
    return sgn::kLaunchUsage;
  }
  return sgn::inspect_main(argc, argv, registry);
}
