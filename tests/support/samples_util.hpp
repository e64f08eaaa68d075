#pragma once
// Building and reading Samples frames in element tests.

#include <sgn/error.hpp>
#include <sgn/frame.hpp>
#include <sgn/schemas/samples.capnp.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sgn::test {

/// A fill function for Harness::push: interleaved `data` of `channels` channels.
inline std::function<void(schema::Samples::Builder)> samples_frame(std::vector<float> data, std::uint32_t channels,
                                                                  double rate = 1000, std::int64_t start_ns = 0) {
  return [data = std::move(data), channels, rate, start_ns](schema::Samples::Builder out) {
    out.setSampleRate(rate);
    out.setStartTimeNs(start_ns);
    out.setChannelCount(channels);
    auto list = out.initData(static_cast<unsigned>(data.size()));
    for (std::size_t i = 0; i < data.size(); ++i) list.set(static_cast<unsigned>(i), data[i]);
  };
}

/// The interleaved values of a Samples frame.
inline std::vector<float> values_of(const Frame& frame) {
  auto view = frame.read<schema::Samples>();
  std::vector<float> out;
  for (float v : view->getData()) out.push_back(v);
  return out;
}

/// The payload segment of a frame, byte for byte.
inline std::string payload_of(const Frame& frame) {
  return std::string(reinterpret_cast<const char*>(frame.payload()), frame.header().message_bytes);
}

/// What an exception and everything nested in it say.
inline std::string message_of(const std::exception& e) { return describe_exception(e); }

}  // namespace sgn::test
