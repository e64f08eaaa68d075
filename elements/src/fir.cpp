#include "sgn/elements/fir.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "detail/samples_data.hpp"
#include "dsp/kernels.hpp"
#include "dsp/overlap_save.hpp"
#include "detail/property_error.hpp"

namespace sgn::elements {
ElementInfo Fir::describe() {
  return {"fir", "windowed-sinc low-pass FIR filter, state kept per channel across frames",
          {property<std::int64_t>("taps", 64, "filter length", 1, 4096),
           property<std::string>("method", "auto", "direct (dot products, SIMD), fft (FFT overlap-save), or auto: "
                                                   "fft from " + std::to_string(kFftFromTaps) + " taps"),
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
      reversed_(taps_.rbegin(), taps_.rend()) {
  const auto method = properties().get<std::string>("method");
  if (method == "fft") {
    use_fft_ = true;
  } else if (method == "auto") {
    use_fft_ = taps_.size() >= kFftFromTaps;
  } else if (method != "direct") {
    detail::throw_property_error(args, fmt::format("property 'method' = '{}' is not one of auto, direct, fft", method));
  }
}

Fir::~Fir() = default;

std::size_t Fir::max_output_bytes(schema::Samples::Reader in) const {
  return in.getData().size() * sizeof(float) + 256;
}

Flow Fir::process(schema::Samples::Reader in, schema::Samples::Builder out, Context&) {
  const std::size_t n = detail::samples_per_channel(in, name());
  const std::size_t channels = in.getChannelCount();
  const std::size_t history = taps_.size() - 1;
  if (channels_ == 0) {
    channels_ = channels;
    if (use_fft_) {
      fft_ = std::make_unique<dsp::OverlapSave>(taps_, channels, n);
    } else {
      window_.assign(2 * history * channels, 0.0f);
    }
  } else if (channels != channels_) {
    throw std::invalid_argument(
        fmt::format("element '{}': the channel count changed from {} to {}", name(), channels_, channels));
  }
  std::span<const float> src = detail::floats(in.getData());

  out.setSampleRate(in.getSampleRate());
  out.setStartTimeNs(in.getStartTimeNs());
  out.setChannelCount(in.getChannelCount());
  std::span<float> dst = detail::floats(out.initData(static_cast<capnp::uint>(src.size())));
  if (fft_) {
    fft_->filter(src.data(), dst.data(), n);
    return Flow::Ok;
  }
  // Output value i is the dot product of the reversed taps with stream values i, i + C, ...,
  // i + history * C, counted from the oldest remembered one. The first history * C outputs
  // reach back into the remembered values: they are computed from window_ (memory, then
  // the frame's head); the rest straight from the frame, which is never copied.
  const std::size_t remembered = history * channels, values = n * channels;
  const std::size_t head = std::min(values, remembered);
  std::copy_n(src.data(), head, window_.data() + remembered);
  dsp::correlate(window_.data(), dst.data(), head, reversed_.data(), reversed_.size(), channels);
  if (values > remembered) {
    dsp::correlate(src.data(), dst.data() + remembered, values - remembered, reversed_.data(), reversed_.size(),
                   channels);
    std::copy(src.end() - static_cast<std::ptrdiff_t>(remembered), src.end(), window_.begin());
  } else {
    std::copy_n(window_.begin() + static_cast<std::ptrdiff_t>(values), remembered, window_.begin());
  }
  return Flow::Ok;
}

}  // namespace sgn::elements
