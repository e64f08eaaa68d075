#pragma once
// What element tests on sgn::testing::Harness share: a registry of the ready-made
// elements, and reading pulled Samples frames.

#include <sgn/elements/register.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/samples.capnp.h>
#include <sgn/testing/harness.hpp>

#include <string>
#include <vector>

namespace sgn::test {

/// The ready-made elements, registered once.
inline const Registry& element_registry() {
  static const Registry registry = [] {
    Registry r;
    elements::register_all(r);
    return r;
  }();
  return registry;
}

/// The interleaved values of a pulled Samples frame.
inline std::vector<float> values_of(const testing::Output<schema::Samples>& frame) {
  std::vector<float> out;
  for (float v : frame->getData()) out.push_back(v);
  return out;
}

/// The payload segment of a pulled frame, byte for byte.
template <class T>
std::string payload_of(const testing::Output<T>& frame) {
  return std::string(reinterpret_cast<const char*>(frame.payload().data()), frame.payload().size());
}

}  // namespace sgn::test
