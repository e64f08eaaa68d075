#include "sgn/elements/sine_source.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "detail/limits.hpp"
#include "detail/property_error.hpp"
#include "detail/samples_data.hpp"
#include "dsp/kernels.hpp"

namespace sgn::elements {
namespace {
// Floats of the largest frame: 16777152.
constexpr std::int64_t kMaxValues = detail::kMaxFrameDataBytes / static_cast<std::int64_t>(sizeof(float));
// Timestamps are int64 nanoseconds from the stream's start (added to the clock when
// realtime): stream time stays below 2^62 ns, about 146 years.
constexpr double kMaxStreamNs = 0x1p62;

double stream_ns(double samples, double rate) { return samples * 1e9 / rate; }

// Instants per block: each block's phase is computed afresh from the sample index, so no
// error accumulates from block to block; within a block the sine is the block's start
// rotated by a table of angles (two multiply-adds a value, no trig call).
constexpr std::size_t kBlock = 256;

/// frac(n * cycles_per_sample), to about one double ulp whatever n: each product's rounding
/// error is recovered with an FMA, and n is split so that both halves are exact doubles.
double turns_at(std::uint64_t n, double cycles_per_sample) {
  auto part = [cycles_per_sample](double m) {
    const double p = m * cycles_per_sample;
    return (p - std::floor(p)) + std::fma(m, cycles_per_sample, -p);
  };
  const double t = part(static_cast<double>(n >> 32) * 0x1p32) + part(static_cast<double>(n & 0xffffffffu));
  return t - std::floor(t);
}
}  // namespace

/// Standard normal values (vectorised xoshiro128** and Box-Muller: see dsp/kernels.hpp).
class SineSource::Noise : public dsp::NormalGenerator {
 public:
  using NormalGenerator::NormalGenerator;
};

ElementInfo SineSource::describe() {
  return {"sine-source",
          "sensor-like Samples: a sine per channel plus gaussian noise",
          {property<double>("rate", 16384.0, "samples per second, per channel", 1e-3, 1e9),
           property<std::int64_t>("channels", 1, "interleaved channels (channels * samples <= 16777152)", 1, 1024),
           property<std::int64_t>("samples", 1024, "samples per frame, per channel", 1, kMaxValues),
           property<double>("frequency", 10.0, "sine frequency in Hz", 0, 1e9),
           property<double>("amplitude", 1.0, "sine amplitude", 0, 1e9),
           property<double>("noise", 0.1, "standard deviation of the gaussian noise", 0, 1e9),
           property<std::int64_t>("frames", 0, "frames to produce (0: unbounded)", 0, detail::kMaxFrames),
           property<double>("duration", 0.0, "seconds of stream time to produce (0: unbounded)", 0, 1e9),
           property<std::int64_t>("seed", 0, "seed of the noise generator", 0, kMaxPropertyInteger),
           property<bool>("realtime", false, "pace frames at the sample rate, like a real sensor")}};
}

SineSource::SineSource(const ElementArgs& args)
    : Source(args),
      rate_(properties().get<double>("rate")),
      frequency_(properties().get<double>("frequency")),
      amplitude_(properties().get<double>("amplitude")),
      noise_(properties().get<double>("noise")),
      channels_(properties().get<std::size_t>("channels")),
      samples_(properties().get<std::size_t>("samples")),
      frame_limit_(properties().get<std::uint64_t>("frames")),
      realtime_(properties().get<bool>("realtime")),
      gauss_(std::make_unique<Noise>(properties().get<std::uint64_t>("seed"))) {
  if (channels_ * samples_ > static_cast<std::size_t>(kMaxValues)) {
    detail::throw_property_error(args, fmt::format("channels * samples = {} * {} exceeds {} values per frame",
                                                   channels_, samples_, kMaxValues));
  }
  if (const double duration = properties().get<double>("duration"); duration > 0) {
    const auto frames = static_cast<std::uint64_t>(std::ceil(duration * rate_ / static_cast<double>(samples_)));
    if (frame_limit_ == 0 || frames < frame_limit_) frame_limit_ = frames;
  }
  // The end of the last frame (of the first, when unbounded: produce() checks the others).
  const double last_ns =
      stream_ns(static_cast<double>(std::max<std::uint64_t>(frame_limit_, 1)) * static_cast<double>(samples_), rate_);
  if (last_ns > kMaxStreamNs) {
    detail::throw_property_error(
        args, fmt::format("frames * samples / rate = {} s of stream time exceeds {} s (timestamps are 64-bit "
                          "nanoseconds)", last_ns / 1e9, kMaxStreamNs / 1e9));
  }
  // Channel c is the sine at phase a + p_c: its block start is (sin a, cos a) rotated by p_c.
  for (std::size_t c = 0; c < channels_; ++c) {
    const double p = 2 * std::numbers::pi * static_cast<double>(c) / static_cast<double>(channels_);
    cos_phase_.push_back(std::cos(p));
    sin_phase_.push_back(std::sin(p));
  }
  const double cycles_per_sample = frequency_ / rate_;
  for (std::size_t k = 0; k < kBlock; ++k) {
    const double angle = 2 * std::numbers::pi * turns_at(k, cycles_per_sample);
    block_cos_.push_back(std::cos(angle));
    block_sin_.push_back(std::sin(angle));
  }
  start_sin_.resize(channels_);
  start_cos_.resize(channels_);
}

SineSource::~SineSource() = default;

std::size_t SineSource::max_output_bytes() const { return channels_ * samples_ * sizeof(float) + 256; }

void SineSource::start() { started_ns_ = monotonic_ns(); }

// A frame is due once its last sample has been "acquired": the engine waits for it
// (interruptibly) instead of this element sleeping.
std::int64_t SineSource::next_frame_due_ns() const {
  if (!realtime_) return 0;
  const double end_ns = stream_ns(static_cast<double>((produced_ + 1) * samples_), rate_);
  if (end_ns > kMaxStreamNs) return 0;  // produce() reports the overflow
  return started_ns_ + static_cast<std::int64_t>(end_ns);
}

Flow SineSource::produce(schema::Samples::Builder out, Context&) {
  if (frame_limit_ != 0 && produced_ >= frame_limit_) return Flow::Eos;
  const std::uint64_t first = produced_ * samples_;
  if (stream_ns(static_cast<double>(first + samples_), rate_) > kMaxStreamNs) {
    throw std::overflow_error(fmt::format("element '{}': stream time passes {} s, beyond 64-bit nanosecond "
                                          "timestamps; set frames or duration", name(), kMaxStreamNs / 1e9));
  }
  out.setSampleRate(rate_);
  out.setStartTimeNs(std::llround(static_cast<double>(first) * 1e9 / rate_));
  out.setChannelCount(static_cast<std::uint32_t>(channels_));
  std::span<float> data = detail::floats(out.initData(static_cast<capnp::uint>(channels_ * samples_)));

  const double cycles_per_sample = frequency_ / rate_;
  const auto sigma = static_cast<float>(noise_);
  for (std::size_t done = 0; done < samples_; done += kBlock) {
    const std::size_t len = std::min(kBlock, samples_ - done);
    const double a = 2 * std::numbers::pi * turns_at(first + done, cycles_per_sample);
    const double sin_a = amplitude_ * std::sin(a), cos_a = amplitude_ * std::cos(a);
    for (std::size_t c = 0; c < channels_; ++c) {
      start_sin_[c] = sin_a * cos_phase_[c] + cos_a * sin_phase_[c];
      start_cos_[c] = cos_a * cos_phase_[c] - sin_a * sin_phase_[c];
    }
    float* block = data.data() + done * channels_;
    dsp::rotate_block(block, len, channels_, start_sin_.data(), start_cos_.data(), block_cos_.data(),
                      block_sin_.data());
    if (sigma > 0) gauss_->add_scaled(block, len * channels_, sigma);  // while the block is in L1
  }
  ++produced_;
  return Flow::Ok;
}

}  // namespace sgn::elements
