// faulty-launch: sgn::launch_main with the built-in elements and "faulty", a transform
// that throws where its `fail` property says: how sgn-launch reports an element's
// exceptions (launch_test.cpp).
//
//   faulty-launch "sine-source frames=3 ! faulty fail=constructor-invalid-argument ! null-sink"

#include <sgn/element.hpp>
#include <sgn/elements/register.hpp>
#include <sgn/error.hpp>
#include <sgn/init.hpp>
#include <sgn/launch.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/samples.capnp.h>

#include <stdexcept>
#include <string>

namespace {

class Faulty final : public sgn::Transform<sgn::schema::Samples, sgn::schema::Samples> {
 public:
  static sgn::ElementInfo describe() {
    return {"faulty",
            "passes Samples through, or throws where `fail` says",
            {sgn::property<std::string>("fail", "none",
                                        "none, constructor-invalid-argument, constructor-bad-variant, "
                                        "constructor-property, start, process, finish"),
             sgn::property<double>("gain", 1.0, "unused", -10.0, 10.0)}};
  }
  explicit Faulty(const sgn::ElementArgs& args) : Transform(args), fail_(properties().get<std::string>("fail")) {
    if (fail_ == "constructor-invalid-argument") throw std::invalid_argument("no good value for 'fail'");
    if (fail_ == "constructor-bad-variant") (void)properties().get<int>("gain");  // a double: bad_variant_access
    if (fail_ == "constructor-property") {
      throw sgn::PropertyError("element '" + args.name + "' (faulty): property 'gain' = 1 does not suit fail=" + fail_);
    }
  }
  void start() override {
    if (fail_ == "start") throw std::runtime_error("cannot start");
  }
  void finish() override {
    if (fail_ == "finish") throw std::logic_error("cannot finish");
  }
  std::size_t max_output_bytes(sgn::schema::Samples::Reader in) const override {
    return in.getData().size() * sizeof(float) + 256;
  }
  sgn::Flow process(sgn::schema::Samples::Reader in, sgn::schema::Samples::Builder out, sgn::Context&) override {
    if (fail_ == "process") throw std::out_of_range("sample out of range");
    out.setSampleRate(in.getSampleRate());
    out.setStartTimeNs(in.getStartTimeNs());
    out.setChannelCount(in.getChannelCount());
    out.setData(in.getData());
    return sgn::Flow::Ok;
  }

 private:
  std::string fail_;
};

}  // namespace

int main(int argc, char** argv) {
  static sgn::Registry registry;
  sgn::elements::register_all(registry);
  registry.add<Faulty>();
  sgn::init(argc, argv, registry);
  return sgn::launch_main(argc, argv, registry);
}
