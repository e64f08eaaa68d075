#pragma once
// FFT overlap-save filtering for long FIR filters (FFTW, single precision).

#include <cstddef>
#include <vector>

namespace sgn::elements::dsp {

/// Filters `channels` interleaved channels with the impulse response h (h[0] first), keeping
/// the last h.size() - 1 inputs of each channel across calls: the output equals the direct
/// form over the concatenated stream within float rounding of the FFTs (about 1e-6 of the
/// signal's magnitude), at a cost per output that grows with log(taps) instead of taps.
class OverlapSave {
 public:
  /// `frame_hint`: the instants a call is expected to carry (sizes the transform).
  OverlapSave(const std::vector<float>& h, std::size_t channels, std::size_t frame_hint);
  ~OverlapSave();
  OverlapSave(const OverlapSave&) = delete;
  OverlapSave& operator=(const OverlapSave&) = delete;

  /// out[i * channels + c] for the n instants of `in` (same layout).
  void filter(const float* in, float* out, std::size_t n);

  /// The transform length for `taps` taps and calls of `frame` instants: a power of two, about
  /// 8 times the taps, but no longer than one call needs (frame + taps - 1), and at least 2 taps.
  static std::size_t fft_size_for(std::size_t taps, std::size_t frame) noexcept;

 private:
  struct Plans;
  std::size_t taps_, channels_, size_;
  Plans* plans_;                 // FFTW plans and aligned buffers
  std::vector<float> history_;   // channel c's last taps - 1 inputs at [c * (taps - 1), ...)
  std::vector<float> extended_;  // one channel: its history, then this call's inputs
};

}  // namespace sgn::elements::dsp
