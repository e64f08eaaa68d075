#pragma once
/// "scale": multiplies every sample by a gain, in place.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/samples.capnp.h>

namespace sgn::elements {

/// Samples -> Samples; rate, start time and channel count pass through unchanged.
/// Works in place (GStreamer's transform_ip): the input frame's values are multiplied
/// where they are and the frame goes on; a frame another element still reads is copied
/// first (counted in copies).
class Scale final : public Transform<schema::Samples, schema::Samples> {
 public:
  static ElementInfo describe();
  explicit Scale(const ElementArgs& args);

  bool in_place() const override { return true; }
  Flow process_in_place(schema::Samples::Builder data, Context& ctx) override;

 private:
  float gain_;
};

}  // namespace sgn::elements
