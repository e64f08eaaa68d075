#pragma once
/// "sine-source": a sensor-like source of Samples frames.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/samples.capnp.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace sgn::elements {

/// Channel c of `channels` carries amplitude * sin(2 pi frequency t + 2 pi c / channels)
/// plus gaussian noise of standard deviation `noise`, with t = n / rate for sample n.
/// Stream time starts at 0; Samples.startTimeNs advances by samples / rate per frame.
/// The stream ends after `frames` frames or `duration` seconds, whichever comes first.
class SineSource final : public Source<schema::Samples> {
 public:
  static ElementInfo describe();
  explicit SineSource(const ElementArgs& args);
  ~SineSource() override;

  std::size_t max_output_bytes() const override;
  /// With realtime=true: when the next frame's last sample is due (the engine waits).
  std::int64_t next_frame_due_ns() const override;
  Flow produce(schema::Samples::Builder out, Context& ctx) override;

 protected:
  void start() override;

 private:
  double rate_, frequency_, amplitude_, noise_;
  std::size_t channels_, samples_;
  std::uint64_t frame_limit_;  // 0: unbounded
  bool realtime_;
  std::uint64_t produced_ = 0;
  std::int64_t started_ns_ = 0;
  class Noise;
  std::unique_ptr<Noise> gauss_;  // standard normal values
  std::vector<double> cos_phase_, sin_phase_;  // amplitude * cos / sin of each channel's phase
};

}  // namespace sgn::elements
