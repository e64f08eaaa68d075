// A custom element and a launcher that knows it.
//
//   clip-launch "sine-source frames=100 ! clip limit=0.5 placement=process ! stats-sink"
//
// 1. The element: one class, one hook. Properties are declared once in describe();
//    the constructor reads them (already parsed and range-checked).
// 2. The program: register the element types, call sgn::init first thing (a worker
//    process is this program started again, and ends inside init), then hand the
//    command line to sgn::launch_main: the full sgn-launch syntax and options.

#include <sgn/element.hpp>
#include <sgn/elements/register.hpp>
#include <sgn/init.hpp>
#include <sgn/launch.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/samples.capnp.h>

#include <algorithm>

namespace example {

/// "clip": limits every sample to [-limit, limit].
class Clip final : public sgn::Transform<sgn::schema::Samples, sgn::schema::Samples> {
 public:
  static sgn::ElementInfo describe() {
    return {"clip", "limits every sample to [-limit, limit]",
            {sgn::property<double>("limit", 1.0, "largest magnitude let through", 0.0, 1e9)}};
  }
  explicit Clip(const sgn::ElementArgs& args) : Transform(args), limit_(properties().get<float>("limit")) {}

  std::size_t max_output_bytes(sgn::schema::Samples::Reader in) const override {
    return in.getData().size() * sizeof(float) + 256;  // the output is as big as the input
  }

  sgn::Flow process(sgn::schema::Samples::Reader in, sgn::schema::Samples::Builder out, sgn::Context&) override {
    out.setSampleRate(in.getSampleRate());
    out.setStartTimeNs(in.getStartTimeNs());
    out.setChannelCount(in.getChannelCount());
    auto src = in.getData();
    auto dst = out.initData(src.size());  // built in place, in the frame the consumer reads
    for (unsigned i = 0; i < src.size(); ++i) dst.set(i, std::clamp(src[i], -limit_, limit_));
    return sgn::Flow::Ok;
  }

 private:
  float limit_;
};

}  // namespace example

int main(int argc, char** argv) {
  static sgn::Registry registry;
  sgn::elements::register_all(registry);  // sine-source, stats-sink, ...
  registry.add<example::Clip>();
  sgn::init(argc, argv, registry);  // a worker process start ends here
  return sgn::launch_main(argc, argv, registry);
}
