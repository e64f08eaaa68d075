#pragma once
/// "passthrough": copies Bytes frames through, for measuring per-stage overhead.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/bytes.capnp.h>

namespace sgn::elements {

/// Bytes -> Bytes only: pads are typed, so a passthrough for any type cannot be linked
/// everywhere. The payload is copied into the output frame (a transform always builds one).
class Passthrough final : public Transform<schema::Bytes, schema::Bytes> {
 public:
  static ElementInfo describe();
  explicit Passthrough(const ElementArgs& args) : Transform(args) {}

  std::size_t max_output_bytes(schema::Bytes::Reader in) const override { return in.getData().size() + 64; }
  Flow process(schema::Bytes::Reader in, schema::Bytes::Builder out, Context& ctx) override;
};

}  // namespace sgn::elements
