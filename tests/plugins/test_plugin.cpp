// The plugins of tests/plugin_test.cpp: one source, a variant per compile definition.
//   (none)                          test-tally (Samples -> Tally) and test-tally-sink
//   SGN_TEST_PLUGIN_COPY            the same types again, from another file
//   SGN_TEST_PLUGIN_DUPLICATE_BUILTIN  a type named "scale", like a built-in element
//   SGN_TEST_PLUGIN_BAD_VERSION     built for another sgn version
//   SGN_TEST_PLUGIN_BAD_ABI         built for another plugin ABI version
//   SGN_TEST_PLUGIN_BAD_TAG         built with another C++ library ABI
//   SGN_TEST_PLUGIN_V2_ENTRY        has sgn_plugin_v2 instead of sgn_plugin_v1
//   SGN_TEST_PLUGIN_NO_ENTRY        has no entry point at all
//   SGN_TEST_PLUGIN_THROWS          its registration throws

#include <fmt/format.h>
#include <sgn/schemas/samples.capnp.h>

#include <algorithm>
#include <cmath>
#include <sgn/element.hpp>
#include <sgn/error.hpp>
#include <sgn/plugin.hpp>
#include <sgn/registry.hpp>

#include "plugins/tally.capnp.h"

namespace sgn_test_plugin {

/// Counts frames and samples; its output says how many it saw.
class Tally final : public sgn::Transform<sgn::schema::Samples, sgntest::Tally> {
 public:
  static sgn::ElementInfo describe() {
    return {"test-tally",
            "counts frames and samples (test plugin)",
            {sgn::property<double>("scale", 1.0, "multiplies the peak", -1e6, 1e6)}};
  }
  explicit Tally(const sgn::ElementArgs& args) : Transform(args), scale_(properties().get<double>("scale")) {}

  sgn::Flow process(sgn::schema::Samples::Reader in, sgntest::Tally::Builder out, sgn::Context&) override {
    ++frames_;
    const auto data = in.getData();
    const unsigned channels = std::max(1u, in.getChannelCount());
    samples_ += data.size() / channels;
    for (float v : data) peak_ = std::max(peak_, std::fabs(v));
    out.setFrames(frames_);
    out.setSamples(samples_);
    out.setPeak(static_cast<float>(peak_ * scale_));
    out.getLast().setChannels(in.getChannelCount());
    return sgn::Flow::Ok;
  }

 private:
  double scale_;
  std::uint64_t frames_ = 0, samples_ = 0;
  float peak_ = 0;
};

/// Fails unless every tally counts up by one: frames were neither lost nor repeated.
class TallySink final : public sgn::Sink<sgntest::Tally> {
 public:
  static sgn::ElementInfo describe() { return {"test-tally-sink", "checks tallies count up by one (test plugin)", {}}; }
  explicit TallySink(const sgn::ElementArgs& args) : Sink(args) {}

  sgn::Flow consume(sgntest::Tally::Reader in, sgn::Context&) override {
    if (in.getFrames() != ++expected_) {
      throw sgn::Error(fmt::format("element '{}': tally of {} frames, expected {}", name(), in.getFrames(), expected_));
    }
    return sgn::Flow::Ok;
  }

 private:
  std::uint64_t expected_ = 0;
};

/// A type whose name a built-in element has.
class Scale final : public sgn::Transform<sgn::schema::Samples, sgn::schema::Samples> {
 public:
  static sgn::ElementInfo describe() { return {"scale", "clashes with the built-in scale (test plugin)", {}}; }
  explicit Scale(const sgn::ElementArgs& args) : Transform(args) {}
  sgn::Flow process(sgn::schema::Samples::Reader, sgn::schema::Samples::Builder, sgn::Context&) override {
    return sgn::Flow::Ok;
  }
};

void register_types(sgn::Registry& registry) {
#if defined(SGN_TEST_PLUGIN_DUPLICATE_BUILTIN)
  registry.add<Scale>();
#elif defined(SGN_TEST_PLUGIN_THROWS)
  registry.add<Tally>();
  throw sgn::Error("the test plugin refuses to register");
#else
  registry.add<Tally>().add<TallySink>();
#endif
}

}  // namespace sgn_test_plugin

#if defined(SGN_TEST_PLUGIN_BAD_VERSION) || defined(SGN_TEST_PLUGIN_BAD_ABI) || defined(SGN_TEST_PLUGIN_BAD_TAG) || \
    defined(SGN_TEST_PLUGIN_V2_ENTRY)
namespace {
void register_by_hand(void* registry) { sgn_test_plugin::register_types(*static_cast<sgn::Registry*>(registry)); }
#if defined(SGN_TEST_PLUGIN_BAD_VERSION)
const sgn_plugin_descriptor descriptor = {SGN_PLUGIN_ABI_VERSION, "0.0.1-old", SGN_PLUGIN_BUILD_TAG, register_by_hand};
#elif defined(SGN_TEST_PLUGIN_BAD_ABI)
const sgn_plugin_descriptor descriptor = {SGN_PLUGIN_ABI_VERSION + 41, SGN_VERSION_STRING, SGN_PLUGIN_BUILD_TAG,
                                          register_by_hand};
#elif defined(SGN_TEST_PLUGIN_BAD_TAG)
const sgn_plugin_descriptor descriptor = {SGN_PLUGIN_ABI_VERSION, SGN_VERSION_STRING, "libc++ abi 1, capnp 9002",
                                          register_by_hand};
#else
const sgn_plugin_descriptor descriptor = {2, SGN_VERSION_STRING, SGN_PLUGIN_BUILD_TAG, register_by_hand};
#endif
}  // namespace
#if defined(SGN_TEST_PLUGIN_V2_ENTRY)
extern "C" __attribute__((visibility("default"))) const sgn_plugin_descriptor* sgn_plugin_v2(void) {
  return &descriptor;
}
#else
extern "C" __attribute__((visibility("default"))) const sgn_plugin_descriptor* sgn_plugin_v1(void) {
  return &descriptor;
}
#endif
#elif !defined(SGN_TEST_PLUGIN_NO_ENTRY)
SGN_PLUGIN(sgn_test_plugin::register_types)
#endif
