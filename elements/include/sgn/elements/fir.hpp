#pragma once
/// "fir": a windowed-sinc low-pass FIR filter over Samples.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/samples.capnp.h>

#include <cstddef>
#include <vector>

namespace sgn::elements {

/// Filters every channel with the same causal FIR. The last taps-1 input samples of each
/// channel are kept across frames, so the output equals filtering the concatenated stream
/// (bit for bit). Start times pass through: the group delay is (taps - 1) / 2 samples.
/// The filter keeps running across gap frames; a change of channel count is an error.
class Fir final : public Transform<schema::Samples, schema::Samples> {
 public:
  static ElementInfo describe();
  explicit Fir(const ElementArgs& args);

  /// Hamming-windowed sinc low-pass, `cutoff` in cycles per sample (0.5 is Nyquist),
  /// normalized to unity gain at DC.
  static std::vector<float> design_lowpass(std::size_t taps, double cutoff);
  /// The filter's coefficients, h[0] first (the impulse response).
  const std::vector<float>& taps() const noexcept { return taps_; }

  std::size_t max_output_bytes(schema::Samples::Reader in) const override;
  Flow process(schema::Samples::Reader in, schema::Samples::Builder out, Context& ctx) override;

 private:
  std::vector<float> taps_;
  std::vector<float> reversed_;  // taps_ back to front: output i is a dot product over window[i..]
  std::size_t channels_ = 0;     // of the stream so far; 0 before the first frame
  std::vector<float> window_;    // (taps-1) remembered instants, then the current frame, interleaved
};

}  // namespace sgn::elements
