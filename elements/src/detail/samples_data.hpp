#pragma once
// In-place access to the float32 data of Samples frames. A Cap'n Proto
// List(Float32) is a contiguous array of little-endian IEEE floats, so on a
// little-endian machine its bytes are a float array: no per-element accessors.

#include <capnp/any.h>
#include <fmt/format.h>
#include <sgn/schemas/samples.capnp.h>

#include <bit>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string_view>

namespace sgn::elements::detail {

static_assert(std::endian::native == std::endian::little, "Samples data is read in place as little-endian floats");

inline std::span<const float> floats(capnp::List<float>::Reader list) {
  auto bytes = capnp::AnyList::Reader(list).getRawBytes();
  return {reinterpret_cast<const float*>(bytes.begin()), list.size()};
}

/// The list lives in the frame being built, which is writable; only the reader exposes its bytes.
inline std::span<float> floats(capnp::List<float>::Builder list) {
  auto bytes = capnp::AnyList::Reader(list.asReader()).getRawBytes();
  return {const_cast<float*>(reinterpret_cast<const float*>(bytes.begin())), list.size()};
}

/// Samples per channel of `in`; throws std::invalid_argument if the frame is malformed.
inline std::size_t samples_per_channel(schema::Samples::Reader in, std::string_view element) {
  const std::size_t channels = in.getChannelCount();
  const std::size_t values = in.getData().size();
  if (channels == 0 || values % channels != 0) {
    throw std::invalid_argument(fmt::format("element '{}': a Samples frame with {} values cannot hold {} channel(s)",
                                            element, values, channels));
  }
  return values / channels;
}

}  // namespace sgn::elements::detail
