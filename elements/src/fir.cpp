#include "sgn/elements/fir.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "detail/samples_data.hpp"

namespace sgn::elements {
namespace {

/// y += h * x over n values; the fixed inner block vectorizes at -O2.
void multiply_add(float* __restrict y, const float* __restrict x, float h, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t k = 0; k < 8; ++k) y[i + k] += h * x[i + k];
  }
  for (; i < n; ++i) y[i] += h * x[i];
}

}  // namespace

ElementInfo Fir::describe() {
  return {"fir", "windowed-sinc low-pass FIR filter, state kept per channel across frames",
          {property<std::int64_t>("taps", 64, "filter length", 1, 4096),
           property<double>("cutoff", 0.25, "cutoff frequency in cycles per sample (0.5 is Nyquist)", 1e-3, 0.5)}};
}

std::vector<float> Fir::design_lowpass(std::size_t taps, double cutoff) {
  const double middle = static_cast<double>(taps - 1) / 2;
  std::vector<double> h(taps);
  for (std::size_t n = 0; n < taps; ++n) {
    const double x = static_cast<double>(n) - middle;
    const double sinc = x == 0 ? 2 * cutoff : std::sin(2 * std::numbers::pi * cutoff * x) / (std::numbers::pi * x);
    const double window =
        taps == 1 ? 1.0 : 0.54 - 0.46 * std::cos(2 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(taps - 1));
    h[n] = sinc * window;
  }
  const double sum = std::accumulate(h.begin(), h.end(), 0.0);
  std::vector<float> out(taps);
  std::transform(h.begin(), h.end(), out.begin(), [sum](double v) { return static_cast<float>(v / sum); });
  return out;
}

Fir::Fir(const ElementArgs& args)
    : Transform(args),
      taps_(design_lowpass(properties().get<std::size_t>("taps"), properties().get<double>("cutoff"))),
      reversed_(taps_.rbegin(), taps_.rend()) {}

std::size_t Fir::max_output_bytes(schema::Samples::Reader in) const {
  return in.getData().size() * sizeof(float) + 256;
}

Flow Fir::process(schema::Samples::Reader in, schema::Samples::Builder out, Context&) {
  const std::size_t n = detail::samples_per_channel(in, name());
  const std::size_t channels = in.getChannelCount();
  const std::size_t history = taps_.size() - 1;
  if (channels_ == 0) {
    channels_ = channels;
    window_.assign(history * channels, 0.0f);
  } else if (channels != channels_) {
    throw std::invalid_argument(
        fmt::format("element '{}': the channel count changed from {} to {}", name(), channels_, channels));
  }
  std::span<const float> src = detail::floats(in.getData());
  window_.resize(history * channels);
  window_.insert(window_.end(), src.begin(), src.end());

  out.setSampleRate(in.getSampleRate());
  out.setStartTimeNs(in.getStartTimeNs());
  out.setChannelCount(in.getChannelCount());
  std::span<float> dst = detail::floats(out.initData(static_cast<capnp::uint>(src.size())));
  // initData() gives zeros to accumulate into. Tap by tap, each output value gets
  // h[j] * x[i + j] added in the same order whatever the framing, so results are bit-identical.
  const std::size_t values = n * channels;
  for (std::size_t j = 0; j <= history; ++j) {
    multiply_add(dst.data(), window_.data() + j * channels, reversed_[j], values);
  }
  std::copy(window_.end() - static_cast<std::ptrdiff_t>(history * channels), window_.end(), window_.begin());
  return Flow::Ok;
}

}  // namespace sgn::elements
