#include "sgn/elements/sine_source.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "detail/limits.hpp"
#include "detail/property_error.hpp"
#include "detail/samples_data.hpp"

namespace sgn::elements {
namespace {
// Floats of the largest frame: 16777152.
constexpr std::int64_t kMaxValues = detail::kMaxFrameDataBytes / static_cast<std::int64_t>(sizeof(float));
// Timestamps are int64 nanoseconds from the stream's start (added to the clock when
// realtime): stream time stays below 2^62 ns, about 146 years.
constexpr double kMaxStreamNs = 0x1p62;

double stream_ns(double samples, double rate) { return samples * 1e9 / rate; }
}  // namespace

/// Standard normal values: splitmix64 bits through Marsaglia's polar method. Several times
/// cheaper than std::normal_distribution over std::mt19937_64, and the same on every platform.
class SineSource::Noise {
 public:
  explicit Noise(std::uint64_t seed) : state_(seed) {}
  float next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0, v = 0, s = 0;
    do {
      u = uniform();
      v = uniform();
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    const double m = std::sqrt(-2 * std::log(s) / s);
    spare_ = static_cast<float>(v * m);
    has_spare_ = true;
    return static_cast<float>(u * m);
  }

 private:
  double uniform() {  // [-1, 1)
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-52 - 1.0;
  }
  std::uint64_t state_;
  float spare_ = 0;
  bool has_spare_ = false;
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
  // sin(a + p) = sin a cos p + cos a sin p: two trig calls per instant, not one per channel.
  for (std::size_t c = 0; c < channels_; ++c) {
    const double p = 2 * std::numbers::pi * static_cast<double>(c) / static_cast<double>(channels_);
    cos_phase_.push_back(amplitude_ * std::cos(p));
    sin_phase_.push_back(amplitude_ * std::sin(p));
  }
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
  for (std::size_t i = 0; i < samples_; ++i) {
    const double cycles = static_cast<double>(first + i) * cycles_per_sample;
    const double a = 2 * std::numbers::pi * (cycles - std::floor(cycles));
    const double sin_a = std::sin(a), cos_a = std::cos(a);
    float* row = data.data() + i * channels_;
    for (std::size_t c = 0; c < channels_; ++c) {
      row[c] = static_cast<float>(sin_a * cos_phase_[c] + cos_a * sin_phase_[c]);
    }
  }
  if (noise_ > 0) {
    const auto sigma = static_cast<float>(noise_);
    for (float& v : data) v += sigma * gauss_->next();
  }
  ++produced_;
  return Flow::Ok;
}

}  // namespace sgn::elements
