#include "sgn/elements/bytes_source.hpp"

#include <algorithm>
#include <cstring>

#include "detail/limits.hpp"
#include "detail/property_error.hpp"
#include "dsp/kernels.hpp"

namespace sgn::elements {
namespace {

BytesSource::Fill parse_fill(const ElementArgs& args) {
  const auto text = args.properties.get<std::string>("fill");
  if (text == "none") return BytesSource::Fill::None;
  if (text == "index") return BytesSource::Fill::Index;
  if (text == "pattern") return BytesSource::Fill::Pattern;
  detail::throw_property_error(args, fmt::format("property 'fill' = '{}' is not one of none, index, pattern", text));
}
}  // namespace

ElementInfo BytesSource::describe() {
  return {"bytes-source",
          "Bytes frames of a chosen size, for benchmarks",
          {property<std::int64_t>("size", 4096, "payload bytes per frame", 0, detail::kMaxFrameDataBytes),
           property<std::int64_t>("frames", 1000, "frames to produce (0: unbounded)", 0, detail::kMaxFrames),
           property<std::string>("fill", "none", "payload content: none (zeros, no per-frame cost), "
                                                 "index (frame index in the first 8 bytes), pattern (every byte)")}};
}

BytesSource::BytesSource(const ElementArgs& args)
    : Source(args),
      size_(properties().get<std::size_t>("size")),
      frames_(properties().get<std::uint64_t>("frames")),
      fill_(parse_fill(args)) {}

Flow BytesSource::produce(schema::Bytes::Builder out, Context&) {
  if (frames_ != 0 && produced_ >= frames_) return Flow::Eos;
  const std::uint64_t index = produced_++;
  auto data = out.initData(static_cast<capnp::uint>(size_));
  switch (fill_) {
    case Fill::None:
      break;
    case Fill::Index:
      std::memcpy(data.begin(), &index, std::min(size_, sizeof index));
      break;
    case Fill::Pattern:
      dsp::byte_ramp(data.begin(), size_, static_cast<std::uint8_t>(index));
      break;
  }
  return Flow::Ok;
}

}  // namespace sgn::elements
