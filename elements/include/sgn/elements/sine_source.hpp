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
/// Values are within 1e-6 * amplitude (plus float rounding) of the double-precision sine at
/// every sample index, however long the stream: the phase of every block of 256 instants is
/// computed from its index, never accumulated. The noise is the same sequence for a seed
/// whatever the frame size (see dsp::NormalGenerator).
class SineSource final : public Source<schema::Samples> {
 public:
  static ElementInfo describe();
  explicit SineSource(const ElementArgs& args);
  ~SineSource() override;

  std::size_t max_output_bytes() const override;
  /// Every field and value is written: the engine need not zero the frame first.
  bool overwrites_output() const override { return true; }
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
  std::vector<double> cos_phase_, sin_phase_;  // cos / sin of each channel's phase offset
  std::vector<double> block_cos_, block_sin_;  // cos / sin of 2 pi frequency k / rate, k within a block
  std::vector<double> start_sin_, start_cos_;  // amplitude * sin / cos of each channel at a block's start
};

}  // namespace sgn::elements
