// Built against an *installed* sgn (find_package(sgn)), never the source tree:
// proves the exported targets, headers and generated schema headers are complete.
#include <sgn/element.hpp>
#include <sgn/pipeline.hpp>
#include <sgn/schema_type.hpp>
#include <sgn/schemas/samples.capnp.h>
#ifdef SGN_CONSUMER_WITH_ELEMENTS
#include <sgn/elements/register.hpp>
#include <sgn/registry.hpp>
#endif
#ifdef SGN_CONSUMER_WITH_TESTING
#include <sgn/testing/harness.hpp>
#endif

#include <cstdint>
#include <cstdio>
#include <string>

namespace {

constexpr std::int64_t kFrames = 5;

class RampSource final : public sgn::Source<sgn::schema::Samples> {
 public:
  static sgn::ElementInfo describe() { return {"consumer-ramp", "emits a few ramps", {}}; }
  explicit RampSource(const sgn::ElementArgs& args) : Source(args) {}
  sgn::Flow produce(sgn::schema::Samples::Builder out, sgn::Context&) override {
    if (next_ == kFrames) return sgn::Flow::Eos;
    out.setSampleRate(8.0);
    out.setChannelCount(1);
    auto data = out.initData(8);
    for (unsigned i = 0; i < data.size(); ++i) data.set(i, static_cast<float>(next_ + i));
    ++next_;
    return sgn::Flow::Ok;
  }

 private:
  std::int64_t next_ = 0;
};

std::int64_t g_received = 0;

class CountSink final : public sgn::Sink<sgn::schema::Samples> {
 public:
  static sgn::ElementInfo describe() { return {"consumer-count", "counts frames", {}}; }
  explicit CountSink(const sgn::ElementArgs& args) : Sink(args) {}
  sgn::Flow consume(sgn::schema::Samples::Reader in, sgn::Context&) override {
    if (in.getData().size() == 8) ++g_received;
    return sgn::Flow::Ok;
  }
};

#ifdef SGN_CONSUMER_WITH_TESTING
class Doubler final : public sgn::Transform<sgn::schema::Samples, sgn::schema::Samples> {
 public:
  static sgn::ElementInfo describe() { return {"consumer-double", "doubles every sample", {}}; }
  explicit Doubler(const sgn::ElementArgs& args) : Transform(args) {}
  sgn::Flow process(sgn::schema::Samples::Reader in, sgn::schema::Samples::Builder out, sgn::Context&) override {
    auto data = out.initData(in.getData().size());
    for (unsigned i = 0; i < data.size(); ++i) data.set(i, 2 * in.getData()[i]);
    return sgn::Flow::Ok;
  }
};

/// The installed harness: a frame and a gap through Doubler in a worker thread.
bool harness_works() {
  auto h = sgn::testing::Harness::of<Doubler>({}, sgn::Placement::Thread);
  h.push<sgn::schema::Samples>([](sgn::schema::Samples::Builder out) { out.initData(2).set(1, 21.0f); }).push_gap();
  const auto frame = h.pull<sgn::schema::Samples>();
  const bool doubled = frame->getData().size() == 2 && frame->getData()[1] == 42.0f && frame.sequence() == 0;
  const bool gap = h.pull<sgn::schema::Samples>().gap();
  h.push_eos();
  h.pull_eos();
  const sgn::RunReport report = h.finish();
  if (!doubled || !gap || report.find("consumer-double")->frames_in != 1) {
    std::fprintf(stderr, "sgn::testing::Harness: doubled %d, gap %d\n", doubled, gap);
    return false;
  }
  return true;
}
#endif

}  // namespace

int main() {
  const std::string type_name = sgn::schema_type<sgn::schema::Samples>().name;
  if (type_name != "Samples") {
    std::fprintf(stderr, "unexpected schema name '%s'\n", type_name.c_str());
    return 1;
  }
#ifdef SGN_CONSUMER_WITH_ELEMENTS
  sgn::Registry registry;
  sgn::elements::register_all(registry);
  if (!registry.contains("sine-source")) {
    std::fprintf(stderr, "sgn::elements::register_all did not register sine-source\n");
    return 1;
  }
#endif
  sgn::Pipeline pipeline;
  pipeline.add<RampSource>("src").add<CountSink>("sink");
  pipeline.link("src", "sink");
  pipeline.run();
  if (g_received != kFrames) {
    std::fprintf(stderr, "sink saw %lld frames, expected %lld\n", static_cast<long long>(g_received),
                 static_cast<long long>(kFrames));
    return 1;
  }
#ifdef SGN_CONSUMER_WITH_TESTING
  if (!harness_works()) return 1;
  std::printf("install_consumer: sgn::testing::Harness ran consumer-double\n");
#endif
  std::printf("install_consumer: %s pipeline ran %lld frames\n", type_name.c_str(),
              static_cast<long long>(g_received));
  return 0;
}
