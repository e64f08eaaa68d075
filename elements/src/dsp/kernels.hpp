#pragma once
// The elements' inner loops, vectorised for the CPU the program runs on: each is built for
// x86-64-v4 (AVX-512), x86-64-v3 (AVX2 + FMA) and the baseline, and the loader picks one
// at start-up (GCC function multiversioning), so the build assumes no vector extension.

#include <cstddef>
#include <cstdint>

namespace sgn::elements::dsp {

/// y[i] = sum over j < taps of h[j] * x[i + j * stride], for i in [0, n): a FIR over
/// `stride` interleaved channels with h the taps back to front. Each y[i] is summed in
/// the order j = 0, 1, ..., whatever n and the alignment, so results do not depend on framing.
void correlate(const float* x, float* y, std::size_t n, const float* h, std::size_t taps,
               std::size_t stride) noexcept;

/// y[i] *= gain, in place (the samples are read and written once: no second buffer,
/// no read-for-ownership of one).
void scale_in_place(float* y, std::size_t n, float gain) noexcept;

/// dst[i] = (first + i) mod 256.
void byte_ramp(std::uint8_t* dst, std::size_t n, std::uint8_t first) noexcept;

/// A sine block of `samples` instants by `channels` interleaved channels:
/// y[k * channels + c] = s0[c] * cos_k[k] + c0[c] * sin_k[k], i.e. A sin(a_c + theta_k)
/// for s0 = A sin a_c, c0 = A cos a_c, cos_k / sin_k = cos / sin theta_k.
void rotate_block(float* y, std::size_t samples, std::size_t channels, const double* s0, const double* c0,
                  const double* cos_k, const double* sin_k) noexcept;

/// Standard normal float values: 16 lanes of xoshiro128** (32-bit words, so every lane is
/// one vector element) through the Box-Muller transform, with polynomial log, sin and cos
/// accurate to a few float ulps. Uniforms have 24 bits, offset by half a step from 0,
/// so the largest magnitude is sqrt(2 ln 2^25) = 5.89 (P(|z| > 5.89) = 4e-9 for a true
/// normal). The sequence depends on the seed only, not on how it is asked for.
class NormalGenerator {
 public:
  static constexpr std::size_t kLanes = 16;
  static constexpr std::size_t kBlock = 2 * kLanes;  // normals per step

  explicit NormalGenerator(std::uint64_t seed) noexcept;
  /// y[i] += sigma * z, for the next n normals z.
  void add_scaled(float* y, std::size_t n, float sigma) noexcept;

 private:
  std::uint32_t state_[4][kLanes];
  float pending_[kBlock];
  std::size_t pending_used_ = kBlock;  // pending_[pending_used_..] not yet handed out
};

}  // namespace sgn::elements::dsp
