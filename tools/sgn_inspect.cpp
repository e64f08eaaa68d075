// sgn-inspect: lists the element types, or describes one, like gst-inspect-1.0.

#include <sgn/elements/register.hpp>
#include <sgn/launch.hpp>
#include <sgn/registry.hpp>

int main(int argc, char** argv) {
  sgn::Registry registry;  // the stock element types
  sgn::elements::register_all(registry);
  return sgn::inspect_main(argc, argv, registry);
}
