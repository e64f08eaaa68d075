#pragma once
/// "passthrough": passes Bytes frames on unchanged, without a copy, for measuring per-stage overhead.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/bytes.capnp.h>

namespace sgn::elements {

/// Bytes -> Bytes only: pads are typed, so a passthrough for any type cannot be linked
/// everywhere. The input frame itself goes downstream (Transform::passthrough()): no
/// copy of the payload in any placement.
class Passthrough final : public Transform<schema::Bytes, schema::Bytes> {
 public:
  static ElementInfo describe();
  explicit Passthrough(const ElementArgs& args) : Transform(args) {}

  bool passthrough() const override { return true; }
};

}  // namespace sgn::elements
