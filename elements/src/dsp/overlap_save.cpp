#include "dsp/overlap_save.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>

namespace sgn::elements::dsp {
namespace {
// FFTW's planner is not thread-safe (fftwf_execute_* is): every element plans under this lock.
std::mutex& planner_lock() {
  static std::mutex lock;
  return lock;
}
}  // namespace

struct OverlapSave::Plans {
  float* time = nullptr;
  fftwf_complex* spectrum = nullptr;
  std::vector<float> response;  // FFT of h (re, im pairs), scaled by 1 / size (FFTW does not normalise)
  fftwf_plan forward = nullptr, inverse = nullptr;

  explicit Plans(std::size_t size) {
    time = fftwf_alloc_real(size);
    spectrum = fftwf_alloc_complex(size / 2 + 1);
    if (time == nullptr || spectrum == nullptr) {
      release();
      throw std::bad_alloc();
    }
    const std::lock_guard guard(planner_lock());
    const int n = static_cast<int>(size);
    forward = fftwf_plan_dft_r2c_1d(n, time, spectrum, FFTW_ESTIMATE);
    inverse = fftwf_plan_dft_c2r_1d(n, spectrum, time, FFTW_ESTIMATE);
    if (forward == nullptr || inverse == nullptr) {
      release_plans();
      release();
      throw std::runtime_error("FFTW could not plan a transform of " + std::to_string(size) + " points");
    }
  }
  ~Plans() {
    {
      const std::lock_guard guard(planner_lock());
      release_plans();
    }
    release();
  }
  void release_plans() {
    if (forward != nullptr) fftwf_destroy_plan(forward);
    if (inverse != nullptr) fftwf_destroy_plan(inverse);
  }
  void release() {
    fftwf_free(time);
    fftwf_free(spectrum);
  }
};

std::size_t OverlapSave::fft_size_for(std::size_t taps, std::size_t frame) noexcept {
  auto power_of_two_from = [](std::size_t n) {
    std::size_t size = 64;
    while (size < n) size *= 2;
    return size;
  };
  const std::size_t efficient = power_of_two_from(8 * taps), enough = power_of_two_from(frame + taps - 1);
  return std::max(power_of_two_from(2 * taps), std::min(efficient, enough));
}

OverlapSave::OverlapSave(const std::vector<float>& h, std::size_t channels, std::size_t frame_hint)
    : taps_(h.size()), channels_(channels), size_(fft_size_for(h.size(), frame_hint)), plans_(new Plans(size_)),
      history_((taps_ - 1) * channels, 0.0f) {
  std::fill_n(plans_->time, size_, 0.0f);
  std::copy(h.begin(), h.end(), plans_->time);
  fftwf_execute(plans_->forward);
  const float scale = 1.0f / static_cast<float>(size_);
  for (std::size_t k = 0; k <= size_ / 2; ++k) {
    plans_->response.push_back(plans_->spectrum[k][0] * scale);
    plans_->response.push_back(plans_->spectrum[k][1] * scale);
  }
}

OverlapSave::~OverlapSave() { delete plans_; }

void OverlapSave::filter(const float* in, float* out, std::size_t n) {
  const std::size_t history = taps_ - 1, step = size_ - history;  // new outputs per transform
  float* time = plans_->time;
  float* spectrum = &plans_->spectrum[0][0];
  const float* response = plans_->response.data();
  const std::size_t bins = size_ / 2 + 1;
  extended_.resize(history + n);
  for (std::size_t c = 0; c < channels_; ++c) {
    float* remembered = history_.data() + c * history;
    std::copy_n(remembered, history, extended_.data());
    for (std::size_t i = 0; i < n; ++i) extended_[history + i] = in[i * channels_ + c];
    for (std::size_t start = 0; start < n; start += step) {
      // Outputs start .. start + len: a circular convolution whose first `history` values wrap
      // around (discarded); the rest are the linear convolution. Zeros past the end only touch
      // outputs beyond this call's.
      const std::size_t len = std::min(step, n - start);
      std::copy_n(extended_.data() + start, history + len, time);
      std::fill(time + history + len, time + size_, 0.0f);
      fftwf_execute(plans_->forward);
      for (std::size_t k = 0; k < bins; ++k) {
        const float re = spectrum[2 * k], im = spectrum[2 * k + 1], hr = response[2 * k], hi = response[2 * k + 1];
        spectrum[2 * k] = re * hr - im * hi;
        spectrum[2 * k + 1] = re * hi + im * hr;
      }
      fftwf_execute(plans_->inverse);
      for (std::size_t i = 0; i < len; ++i) out[(start + i) * channels_ + c] = time[history + i];
    }
    std::copy_n(extended_.data() + n, history, remembered);
  }
}

}  // namespace sgn::elements::dsp
