#include "sgn/elements/sine_source.hpp"

#include <chrono>
#include <cmath>
#include <numbers>
#include <thread>
#include <vector>

#include "detail/property_error.hpp"
#include "detail/samples_data.hpp"

namespace sgn::elements {
namespace {
constexpr std::size_t kMaxValues = std::size_t{1} << 28;  // Cap'n Proto lists hold < 2^29 elements
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
           property<std::int64_t>("channels", 1, "interleaved channels", 1, 1024),
           property<std::int64_t>("samples", 1024, "samples per frame, per channel", 1, 1 << 24),
           property<double>("frequency", 10.0, "sine frequency in Hz", 0, 1e9),
           property<double>("amplitude", 1.0, "sine amplitude", 0, 1e9),
           property<double>("noise", 0.1, "standard deviation of the gaussian noise", 0, 1e9),
           property<std::int64_t>("frames", 0, "frames to produce (0: unbounded)", 0),
           property<double>("duration", 0.0, "seconds of stream time to produce (0: unbounded)", 0, 1e9),
           property<std::int64_t>("seed", 0, "seed of the noise generator", 0),
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
  if (channels_ * samples_ > kMaxValues) {
    detail::throw_property_error(args, fmt::format("channels * samples = {} * {} exceeds {} values per frame",
                                                   channels_, samples_, kMaxValues));
  }
  if (const double duration = properties().get<double>("duration"); duration > 0) {
    const auto frames = static_cast<std::uint64_t>(std::ceil(duration * rate_ / static_cast<double>(samples_)));
    if (frame_limit_ == 0 || frames < frame_limit_) frame_limit_ = frames;
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

Flow SineSource::produce(schema::Samples::Builder out, Context&) {
  if (frame_limit_ != 0 && produced_ >= frame_limit_) return Flow::Eos;
  const std::uint64_t first = produced_ * samples_;
  if (realtime_) {
    if (produced_ == 0) started_ns_ = monotonic_ns();
    const auto due = started_ns_ + static_cast<std::int64_t>(static_cast<double>(first + samples_) * 1e9 / rate_);
    const std::int64_t wait = due - monotonic_ns();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
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
