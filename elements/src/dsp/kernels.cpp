#include "dsp/kernels.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

// Every clone gets the same code; the compiler vectorises it for each target. The file is
// built with -O3 -ffp-contract=fast -fno-math-errno (elements/CMakeLists.txt): a * b + c
// becomes one FMA where the target has it, in vector and scalar code alike.
#if defined(__x86_64__)
#define SGN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SGN_CLONES
#endif

namespace sgn::elements::dsp {
namespace {

// Eight floats; unaligned, and allowed to alias the floats they are loaded from.
typedef float f8 __attribute__((vector_size(32)));
typedef float f8u __attribute__((vector_size(32), aligned(4), may_alias));

[[gnu::always_inline]] inline f8 load8(const float* p) { return *reinterpret_cast<const f8u*>(p); }
[[gnu::always_inline]] inline void store8(float* p, f8 v) { *reinterpret_cast<f8u*>(p) = v; }

SGN_CLONES void correlate_impl(const float* x, float* y, std::size_t n, const float* h, std::size_t taps,
                               std::size_t stride) noexcept {
  constexpr std::size_t kVectors = 8;  // 64 outputs in registers while the taps go by
  std::size_t i = 0;
  for (; i + 8 * kVectors <= n; i += 8 * kVectors) {
    f8 acc[kVectors] = {};
    const float* xi = x + i;
    for (std::size_t j = 0; j < taps; ++j, xi += stride) {
      const float hj = h[j];
#pragma GCC unroll 8
      for (std::size_t v = 0; v < kVectors; ++v) acc[v] += hj * load8(xi + 8 * v);
    }
#pragma GCC unroll 8
    for (std::size_t v = 0; v < kVectors; ++v) store8(y + i + 8 * v, acc[v]);
  }
  for (; i + 8 <= n; i += 8) {
    f8 acc = {};
    const float* xi = x + i;
    for (std::size_t j = 0; j < taps; ++j, xi += stride) acc += h[j] * load8(xi);
    store8(y + i, acc);
  }
  if (i < n) {  // the last 1-7 outputs: the same vector operations on partly filled vectors
    const std::size_t rest = n - i;
    f8 acc = {};
    const float* xi = x + i;
    for (std::size_t j = 0; j < taps; ++j, xi += stride) {
      f8 part = {};
      std::memcpy(&part, xi, rest * sizeof(float));
      acc += h[j] * part;
    }
    std::memcpy(y + i, &acc, rest * sizeof(float));
  }
}

// Sixteen floats, one cache line when aligned.
typedef float f16 __attribute__((vector_size(64)));

SGN_CLONES void scale_in_place_impl(float* __restrict y, std::size_t n, float gain) noexcept {
  // Whole, aligned lines four at a time: the stores never split a line (measured here
  // at 64 KiB: 165 GB/s against 118 for the plain loop, which the compiler leaves unaligned).
  std::size_t i = 0;
  for (; i < n && reinterpret_cast<std::uintptr_t>(y + i) % 64 != 0; ++i) y[i] *= gain;
  for (; i + 64 <= n; i += 64) {
    f16* line = reinterpret_cast<f16*>(y + i);
    const f16 a = line[0], b = line[1], c = line[2], d = line[3];
    line[0] = a * gain, line[1] = b * gain, line[2] = c * gain, line[3] = d * gain;
  }
  for (; i < n; ++i) y[i] *= gain;
}

SGN_CLONES void byte_ramp_impl(std::uint8_t* __restrict dst, std::size_t n, std::uint8_t first) noexcept {
  // The ramp repeats every 256 bytes: build one period, then store it again and again.
  alignas(64) std::uint8_t period[256];
  for (unsigned i = 0; i < 256; ++i) period[i] = static_cast<std::uint8_t>(first + i);
  std::size_t i = 0;
  for (; i + 256 <= n; i += 256) std::memcpy(dst + i, period, 256);
  for (std::size_t k = 0; i < n; ++i, ++k) dst[i] = period[k];
}

SGN_CLONES void rotate_impl(float* __restrict y, std::size_t samples, std::size_t channels, const double* s0,
                            const double* c0, const double* __restrict cos_k, const double* __restrict sin_k) noexcept {
  if (channels == 1) {
    const double s = s0[0], c = c0[0];
    for (std::size_t k = 0; k < samples; ++k) y[k] = static_cast<float>(s * cos_k[k] + c * sin_k[k]);
    return;
  }
  for (std::size_t k = 0; k < samples; ++k) {
    const double ck = cos_k[k], sk = sin_k[k];
    float* row = y + k * channels;
    for (std::size_t c = 0; c < channels; ++c) row[c] = static_cast<float>(s0[c] * ck + c0[c] * sk);
  }
}

// ---- normals

constexpr std::size_t kLanes = NormalGenerator::kLanes;

inline std::uint32_t rotl(std::uint32_t v, int k) { return (v << k) | (v >> (32 - k)); }

/// ln(u) for u in (0, 1]: Cephes' logf polynomial on [sqrt(1/2), sqrt(2)), branch-free.
inline float log_unit(float u) {
  const auto bits = std::bit_cast<std::int32_t>(u);
  std::int32_t e = ((bits >> 23) & 0xff) - 126;  // u = m 2^e, m in [1/2, 1)
  const float m = std::bit_cast<float>((bits & 0x007fffff) | 0x3f000000);
  const bool low = m < 0.70710678118654752f;
  e = low ? e - 1 : e;
  const float x = low ? m + m - 1.0f : m - 1.0f;
  const float z = x * x;
  float p = 7.0376836292e-2f;
  p = p * x - 1.1514610310e-1f;
  p = p * x + 1.1676998740e-1f;
  p = p * x - 1.2420140846e-1f;
  p = p * x + 1.4249322787e-1f;
  p = p * x - 1.6668057665e-1f;
  p = p * x + 2.0000714765e-1f;
  p = p * x - 2.4999993993e-1f;
  p = p * x + 3.3333331174e-1f;
  const auto fe = static_cast<float>(e);
  float r = p * x * z;
  r += -2.12194440e-4f * fe;
  r += -0.5f * z;
  return x + r + 0.693359375f * fe;
}

/// sin and cos of 2 pi t for t in [0, 1): quadrant, then Cephes' polynomials on [-pi/4, pi/4].
inline void sincos_turn(float t, float& sin_out, float& cos_out) {
  const float q = t * 4.0f;
  const auto j = static_cast<std::int32_t>(q + 0.5f);  // 0..4
  const float f = (q - static_cast<float>(j)) * 1.57079632679489662f;
  const float z = f * f;
  const float s = f + f * z * ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z - 1.6666654611e-1f);
  const float c = 1.0f - 0.5f * z + z * z * ((2.443315711809948e-5f * z - 1.388731625493765e-3f) * z +
                                             4.166664568298827e-2f);
  const bool swap = (j & 1) != 0;
  const float sv = swap ? c : s, cv = swap ? s : c;
  sin_out = (j & 2) != 0 ? -sv : sv;
  cos_out = ((j + 1) & 2) != 0 ? -cv : cv;
}

/// 24 uniform bits as a float in (0, 1): (k + 1/2) / 2^24.
inline float unit_open(std::uint32_t bits) {
  return static_cast<float>(static_cast<std::int32_t>(bits >> 8)) * 0x1p-24f + 0x1p-25f;
}

/// `blocks` blocks of 2 * kLanes normals into out: the first kLanes are r cos, the next r sin.
SGN_CLONES void normals_impl(std::uint32_t (&s)[4][kLanes], float* out, std::size_t blocks) noexcept {
  for (std::size_t b = 0; b < blocks; ++b, out += 2 * kLanes) {
    std::uint32_t draws[2][kLanes];
    for (int d = 0; d < 2; ++d) {
      for (std::size_t l = 0; l < kLanes; ++l) {  // xoshiro128**, one generator a lane
        draws[d][l] = rotl(s[1][l] * 5, 7) * 9;
        const std::uint32_t t = s[1][l] << 9;
        s[2][l] ^= s[0][l];
        s[3][l] ^= s[1][l];
        s[1][l] ^= s[2][l];
        s[0][l] ^= s[3][l];
        s[2][l] ^= t;
        s[3][l] = rotl(s[3][l], 11);
      }
    }
    for (std::size_t l = 0; l < kLanes; ++l) {
      const float r = std::sqrt(-2.0f * log_unit(unit_open(draws[0][l])));
      float sn = 0, cs = 0;
      sincos_turn(static_cast<float>(draws[1][l] >> 8) * 0x1p-24f, sn, cs);
      out[l] = r * cs;
      out[kLanes + l] = r * sn;
    }
  }
}

SGN_CLONES void add_scaled_impl(float* __restrict y, const float* __restrict z, std::size_t n, float sigma) noexcept {
  for (std::size_t i = 0; i < n; ++i) y[i] += sigma * z[i];
}

}  // namespace

void correlate(const float* x, float* y, std::size_t n, const float* h, std::size_t taps,
               std::size_t stride) noexcept {
  correlate_impl(x, y, n, h, taps, stride);
}

void scale_in_place(float* y, std::size_t n, float gain) noexcept { scale_in_place_impl(y, n, gain); }

void byte_ramp(std::uint8_t* dst, std::size_t n, std::uint8_t first) noexcept { byte_ramp_impl(dst, n, first); }

void rotate_block(float* y, std::size_t samples, std::size_t channels, const double* s0, const double* c0,
                  const double* cos_k, const double* sin_k) noexcept {
  rotate_impl(y, samples, channels, s0, c0, cos_k, sin_k);
}

NormalGenerator::NormalGenerator(std::uint64_t seed) noexcept : pending_{} {
  // splitmix64 spreads the seed over the lanes' states; xoshiro needs a state that is not all zero.
  std::uint64_t z = seed;
  for (std::size_t l = 0; l < kLanes; ++l) {
    for (int w = 0; w < 4; w += 2) {
      std::uint64_t v = (z += 0x9e3779b97f4a7c15);
      v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9;
      v = (v ^ (v >> 27)) * 0x94d049bb133111eb;
      v ^= v >> 31;
      state_[w][l] = static_cast<std::uint32_t>(v);
      state_[w + 1][l] = static_cast<std::uint32_t>(v >> 32);
    }
    if ((state_[0][l] | state_[1][l] | state_[2][l] | state_[3][l]) == 0) state_[0][l] = 1;
  }
}

void NormalGenerator::add_scaled(float* y, std::size_t n, float sigma) noexcept {
  while (n > 0 && pending_used_ < kBlock) {
    *y++ += sigma * pending_[pending_used_++];
    --n;
  }
  constexpr std::size_t kChunk = 16 * kBlock;  // normals made per call, added while in L1
  float z[kChunk];
  while (n >= kBlock) {
    const std::size_t blocks = std::min(n, kChunk) / kBlock;
    normals_impl(state_, z, blocks);
    const std::size_t count = blocks * kBlock;
    add_scaled_impl(y, z, count, sigma);
    y += count;
    n -= count;
  }
  if (n > 0) {
    normals_impl(state_, pending_, 1);
    for (std::size_t i = 0; i < n; ++i) y[i] += sigma * pending_[i];
    pending_used_ = n;
  }
}

}  // namespace sgn::elements::dsp
