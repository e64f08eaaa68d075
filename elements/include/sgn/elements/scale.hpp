#pragma once
/// "scale": multiplies every sample by a gain.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/samples.capnp.h>

namespace sgn::elements {

/// Samples -> Samples; rate, start time and channel count pass through unchanged.
class Scale final : public Transform<schema::Samples, schema::Samples> {
 public:
  static ElementInfo describe();
  explicit Scale(const ElementArgs& args);

  std::size_t max_output_bytes(schema::Samples::Reader in) const override;
  /// Every field and value is written: the engine need not zero the frame first.
  bool overwrites_output() const override { return true; }
  Flow process(schema::Samples::Reader in, schema::Samples::Builder out, Context& ctx) override;

 private:
  float gain_;
};

}  // namespace sgn::elements
