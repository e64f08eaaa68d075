// An element plugin with a schema of its own: `level` measures the RMS and peak of
// every channel of a Samples frame (Samples -> level::Level) and `level-sink` checks
// the peaks against a limit. Built with sgn_add_plugin (CMakeLists.txt), run from
// the stock sgn-launch:
//   sgn-launch --plugin-path build "sine-source frames=100 channels=4 ! level placement=process ! level-sink"

#include <fmt/format.h>
#include <sgn/schemas/samples.capnp.h>

#include <algorithm>
#include <cmath>
#include <sgn/element.hpp>
#include <sgn/plugin.hpp>
#include <sgn/registry.hpp>
#include <vector>

#include "level.capnp.h"  // generated from level.capnp by sgn_add_schemas

namespace level {

class LevelMeter final : public sgn::Transform<sgn::schema::Samples, Level> {
 public:
  static sgn::ElementInfo describe() { return {"level", "RMS and peak of every channel, per frame", {}}; }
  explicit LevelMeter(const sgn::ElementArgs& args) : Transform(args) {}

  std::size_t max_output_bytes(sgn::schema::Samples::Reader in) const override {
    return in.getChannelCount() * 16 + 256;  // per channel: two floats in a list of structs
  }
  sgn::Flow process(sgn::schema::Samples::Reader in, Level::Builder out, sgn::Context&) override {
    const unsigned channels = std::max(1u, in.getChannelCount());
    const auto data = in.getData();
    const std::size_t per_channel = data.size() / channels;
    out.setStartTimeNs(in.getStartTimeNs());
    auto levels = out.initChannels(channels);
    for (unsigned c = 0; c < channels; ++c) {
      double sum = 0, peak = 0;
      for (std::size_t i = 0; i < per_channel; ++i) {
        const double v = data[static_cast<unsigned>(i * channels + c)];
        sum += v * v;
        peak = std::max(peak, std::fabs(v));
      }
      levels[c].setRms(per_channel ? static_cast<float>(std::sqrt(sum / static_cast<double>(per_channel))) : 0.0f);
      levels[c].setPeak(static_cast<float>(peak));
    }
    return sgn::Flow::Ok;
  }
};

class LevelSink final : public sgn::Sink<Level> {
 public:
  static sgn::ElementInfo describe() {
    return {"level-sink",
            "fails if a channel's peak exceeds max-peak; logs the loudest frame at the end",
            {sgn::property<double>("max-peak", 1e9, "largest peak allowed", 0, 1e9)}};
  }
  explicit LevelSink(const sgn::ElementArgs& args) : Sink(args), max_peak_(properties().get<double>("max-peak")) {}

  sgn::Flow consume(Level::Reader in, sgn::Context&) override {
    for (auto channel : in.getChannels()) {
      if (channel.getPeak() > max_peak_) {
        throw std::runtime_error(fmt::format("element '{}': peak {} exceeds max-peak {} (frame at {} ns)", name(),
                                             channel.getPeak(), max_peak_, in.getStartTimeNs()));
      }
      loudest_ = std::max(loudest_, static_cast<double>(channel.getPeak()));
    }
    return sgn::Flow::Ok;
  }

 protected:
  void finish() override { log().info("loudest peak {}", loudest_); }

 private:
  double max_peak_;
  double loudest_ = 0;
};

void register_types(sgn::Registry& registry) { registry.add<LevelMeter>().add<LevelSink>(); }

}  // namespace level

SGN_PLUGIN(level::register_types)
