#include "sgn/elements/scale.hpp"

#include "detail/samples_data.hpp"
#include "dsp/kernels.hpp"

namespace sgn::elements {

ElementInfo Scale::describe() {
  return {"scale", "multiplies every sample by a gain, in place (the frame goes on; no second buffer)",
          {property<double>("gain", 1.0, "multiplier applied to every sample", -1e9, 1e9)}};
}

Scale::Scale(const ElementArgs& args) : Transform(args), gain_(properties().get<float>("gain")) {}

Flow Scale::process_in_place(schema::Samples::Builder data, Context&) {
  detail::samples_per_channel(data.asReader(), name());
  if (!data.hasData()) return Flow::Ok;  // no values: nothing to scale (and no list to write in)
  std::span<float> values = detail::floats(data.getData());
  dsp::scale_in_place(values.data(), values.size(), gain_);
  return Flow::Ok;
}

}  // namespace sgn::elements
