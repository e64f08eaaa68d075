#include "sgn/elements/scale.hpp"

#include "detail/samples_data.hpp"
#include "dsp/kernels.hpp"

namespace sgn::elements {

ElementInfo Scale::describe() {
  return {"scale", "multiplies every sample by a gain",
          {property<double>("gain", 1.0, "multiplier applied to every sample", -1e9, 1e9)}};
}

Scale::Scale(const ElementArgs& args) : Transform(args), gain_(properties().get<float>("gain")) {}

std::size_t Scale::max_output_bytes(schema::Samples::Reader in) const {
  return in.getData().size() * sizeof(float) + 256;
}

Flow Scale::process(schema::Samples::Reader in, schema::Samples::Builder out, Context&) {
  detail::samples_per_channel(in, name());
  out.setSampleRate(in.getSampleRate());
  out.setStartTimeNs(in.getStartTimeNs());
  out.setChannelCount(in.getChannelCount());
  std::span<const float> src = detail::floats(in.getData());
  std::span<float> dst = detail::floats(out.initData(static_cast<capnp::uint>(src.size())));
  dsp::scale(src.data(), dst.data(), src.size(), gain_);
  return Flow::Ok;
}

}  // namespace sgn::elements
