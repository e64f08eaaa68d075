#pragma once
/// "fir": a windowed-sinc low-pass FIR filter over Samples.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/samples.capnp.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace sgn::elements {
namespace dsp {
class OverlapSave;
}

/// Filters every channel with the same causal FIR. The last taps-1 input samples of each
/// channel are kept across frames, so the output equals filtering the concatenated stream
/// (bit for bit in the direct form; within float rounding of the FFTs, about 1e-6 of the
/// signal's magnitude, with FFT overlap-save, which `method=auto` picks from kFftFromTaps taps).
/// Start times pass through: the group delay is (taps - 1) / 2 samples.
/// The filter keeps running across gap frames; a change of channel count is an error.
class Fir final : public Transform<schema::Samples, schema::Samples> {
 public:
  /// Tap count from which method=auto filters with FFT overlap-save (measured: bench/RESULTS.md).
  static constexpr std::size_t kFftFromTaps = 256;

  static ElementInfo describe();
  explicit Fir(const ElementArgs& args);
  ~Fir() override;

  /// Hamming-windowed sinc low-pass, `cutoff` in cycles per sample (0.5 is Nyquist),
  /// normalized to unity gain at DC.
  static std::vector<float> design_lowpass(std::size_t taps, double cutoff);
  /// The filter's coefficients, h[0] first (the impulse response).
  const std::vector<float>& taps() const noexcept { return taps_; }

  std::size_t max_output_bytes(schema::Samples::Reader in) const override;
  /// Every field and value is written: the engine need not zero the frame first.
  bool overwrites_output() const override { return true; }
  Flow process(schema::Samples::Reader in, schema::Samples::Builder out, Context& ctx) override;

 private:
  std::vector<float> taps_;
  std::vector<float> reversed_;  // taps_ back to front: output i is a dot product over window[i..]
  std::size_t channels_ = 0;     // of the stream so far; 0 before the first frame
  std::vector<float> window_;    // (taps-1) remembered instants, then the frame's first taps-1, interleaved
  bool use_fft_ = false;
  std::unique_ptr<dsp::OverlapSave> fft_;  // made at the first frame, when use_fft_
};

}  // namespace sgn::elements
