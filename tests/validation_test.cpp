#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sgn/elements/register.hpp>
#include <sgn/error.hpp>
#include <sgn/init.hpp>
#include <sgn/pipeline.hpp>
#include <sgn/schemas/samples.capnp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "support/expect_error.hpp"
#include "support/test_elements.hpp"

namespace sgn {
namespace {

/// A sink of another schema, for type mismatches.
class SamplesSink final : public Sink<schema::Samples> {
 public:
  static ElementInfo describe() { return {"test-samples-sink", "takes Samples", {}}; }
  explicit SamplesSink(const ElementArgs& args) : Sink(args) {}
  Flow consume(schema::Samples::Reader, Context&) override { return Flow::Ok; }
};

/// Two inputs, two outputs: short pad forms are ambiguous on both sides.
class Crossbar final : public WorkerElement {
 public:
  static ElementInfo describe() { return {"test-crossbar", "two in, two out", {}}; }
  explicit Crossbar(const ElementArgs& args)
      : WorkerElement(args,
                      {{"left", schema_type<schema::Bytes>()}, {"right", schema_type<schema::Bytes>()}},
                      {{"even", schema_type<schema::Bytes>()}, {"odd", schema_type<schema::Bytes>()}}) {}

 protected:
  void run(WorkerContext&) override {}
};

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::register_test_elements(registry);
    registry.add<SamplesSink>().add<Crossbar>();
  }
  Pipeline pipeline() { return Pipeline(PipelineOptions{.registry = &registry}); }
  Registry registry;
};

using test::expect_error;

TEST_F(ValidationTest, AValidPipelinePasses) {
  Pipeline p = pipeline();
  p.add("test-count-source", "src").add("test-transform", "t").add("test-check-sink", "sink");
  p.link("src", "t").link("t:out", "sink:in");
  EXPECT_NO_THROW(p.validate());
}

TEST_F(ValidationTest, UnlinkedInputPad) {
  Pipeline p = pipeline();
  p.add("test-check-sink", "lonely").add("test-count-source", "src").add("test-check-sink", "sink");
  p.link("src", "sink");
  expect_error<ValidationError>([&] { p.validate(); }, {"lonely:in", "not linked"});
  expect_error<ValidationError>([&] { p.run(); }, {"lonely:in", "not linked"});
}

TEST_F(ValidationTest, UnlinkedOutputPad) {
  Pipeline p = pipeline();
  p.add("test-count-source", "src").add("test-transform", "t").add("test-check-sink", "sink");
  p.add("test-count-source", "src2");
  p.link("src", "t").link("src2", "sink");
  expect_error<ValidationError>([&] { p.validate(); }, {"t:out", "not linked"});
}

TEST_F(ValidationTest, Cycle) {
  Pipeline p = pipeline();
  p.add("test-count-source", "src").add("test-check-sink", "sink");
  p.add("test-transform", "loop-a").add("test-transform", "loop-b");
  p.link("src", "sink").link("loop-a", "loop-b").link("loop-b", "loop-a");
  expect_error<ValidationError>([&] { p.validate(); }, {"cycle", "loop-a", "loop-b"});
}

TEST_F(ValidationTest, DuplicateName) {
  Pipeline p = pipeline();
  p.add("test-count-source", "x");
  expect_error<ValidationError>([&] { p.add("test-check-sink", "x"); },
                                {"duplicate", "'x'", "test-count-source", "test-check-sink"});
  EXPECT_EQ(p.element_names().size(), 1u);
}

TEST_F(ValidationTest, TypeMismatchOnLinkNamesBothTypes) {
  Pipeline p = pipeline();
  p.add("test-count-source", "src").add("test-samples-sink", "sink");
  expect_error<TypeMismatchError>([&] { p.link("src", "sink"); }, {"src:out", "sink:in", "Bytes", "Samples"});
}

TEST_F(ValidationTest, NoSink) {
  Pipeline p = pipeline();
  p.add("test-count-source", "src");
  expect_error<ValidationError>([&] { p.validate(); }, {"no sink"});
}

TEST_F(ValidationTest, NoSinkInAClosedLoop) {
  Pipeline p = pipeline();
  p.add("test-transform", "a").add("test-transform", "b");
  p.link("a", "b").link("b", "a");
  expect_error<ValidationError>([&] { p.validate(); }, {"no sink"});
}

TEST_F(ValidationTest, EmptyPipeline) {
  Pipeline p = pipeline();
  expect_error<ValidationError>([&] { p.validate(); }, {"no elements"});
  expect_error<ValidationError>([&] { p.run(); }, {"no elements"});
}

TEST_F(ValidationTest, PadThatDoesNotExist) {
  Pipeline p = pipeline();
  p.add("test-count-source", "src").add("test-transform", "t").add("test-check-sink", "sink");
  expect_error<ValidationError>([&] { p.link("src:bogus", "t"); }, {"'src'", "output pad 'bogus'", "out"});
  expect_error<ValidationError>([&] { p.link("src", "t:bogus"); }, {"'t'", "input pad 'bogus'", "in"});
  expect_error<ValidationError>([&] { p.link("sink", "t"); }, {"'sink'", "no output pads"});
  expect_error<ValidationError>([&] { p.link("t", "src"); }, {"'src'", "no input pads"});
  expect_error<ValidationError>([&] { p.link("nobody", "t"); }, {"'nobody'"});
  expect_error<ValidationError>([&] { p.link("src", "nobody:in"); }, {"'nobody'"});
}

TEST_F(ValidationTest, AmbiguousShortForm) {
  Pipeline p = pipeline();
  p.add("test-count-source", "src").add("test-crossbar", "x").add("test-check-sink", "sink");
  expect_error<ValidationError>([&] { p.link("src", "x"); }, {"'x'", "input", "left", "right"});
  expect_error<ValidationError>([&] { p.link("x", "sink"); }, {"'x'", "output", "even", "odd"});
  EXPECT_NO_THROW(p.link("src", "x:left"));
  EXPECT_NO_THROW(p.link("x:odd", "sink"));
}

TEST_F(ValidationTest, InputLinkedTwice) {
  Pipeline p = pipeline();
  p.add("test-count-source", "a").add("test-count-source", "b").add("test-check-sink", "sink");
  p.link("a", "sink");
  expect_error<ValidationError>([&] { p.link("b", "sink"); }, {"sink:in", "already linked", "a:out"});
}

TEST_F(ValidationTest, PlacementAnElementDoesNotSupport) {
  Pipeline p = pipeline();
  p.add("test-count-source", "src")
      .add("test-counting-worker", "w", {}, Placement::Main)
      .add("test-check-sink", "sink");
  p.link("src", "w").link("w", "sink");
  expect_error<ValidationError>([&] { p.validate(); }, {"'w'", "test-counting-worker", "'main'", "thread"});
}

TEST_F(ValidationTest, WorkerElementWithoutPlacementTakesItsOwn) {
  Pipeline p = pipeline();
  p.add("test-count-source", "src").add("test-counting-worker", "w").add("test-check-sink", "sink");
  p.link("src", "w").link("w", "sink");
  EXPECT_EQ(p.placement("w"), Placement::Thread);
  EXPECT_NO_THROW(p.validate());
}

TEST_F(ValidationTest, ProcessPlacementNeedsSgnInit) {
  // Worker processes are the program started again: without sgn::init they cannot start.
  // (sgn::init is only ever called in the death-test children below.)
  Pipeline p = pipeline();
  p.add("test-count-source", "src", {}, Placement::Process).add("test-check-sink", "sink");
  p.link("src", "sink");
  expect_error<ValidationError>([&] { p.validate(); }, {"'src'", "process", "sgn::init(argc, argv, registry)"});
}

TEST_F(ValidationTest, ProcessPlacementNeedsATypeWorkersCanBuild) {
  // Worker processes build their element from the registry given to sgn::init; this
  // test's registry is another one. In a child: init() marks the whole process.
  EXPECT_EXIT(
      {
        static Registry program;  // what main() gave sgn::init: no test elements in it
        sgn::init(0, nullptr, program);
        Pipeline p = pipeline();
        p.add("test-count-source", "src", {}, Placement::Process).add("test-check-sink", "sink");
        p.link("src", "sink");
        try {
          p.validate();
        } catch (const ValidationError& e) {
          const std::string what = e.what();
          const bool named = what.find("'src'") != std::string::npos &&
                             what.find("not in the registry given to sgn::init") != std::string::npos;
          std::fprintf(stderr, "%s\n", what.c_str());
          std::_Exit(named ? 0 : 1);
        }
        std::_Exit(2);
      },
      ::testing::ExitedWithCode(0), "not in the registry given to sgn::init");
}

TEST_F(ValidationTest, ProcessPlacementQueueBeyondTheSharedMemoryLimit) {
  Pipeline p(PipelineOptions{.queue_maxsize = 257, .registry = &registry});
  p.add("test-count-source", "src", {}, Placement::Process).add("test-check-sink", "sink");
  p.link("src", "sink");
  expect_error<ValidationError>([&] { p.validate(); }, {"'src'", "257", "256"});
}

TEST_F(ValidationTest, ZeroQueueSize) {
  Pipeline p(PipelineOptions{.queue_maxsize = 0, .registry = &registry});
  p.add("test-count-source", "src").add("test-check-sink", "sink");
  p.link("src", "sink");
  expect_error<ValidationError>([&] { p.validate(); }, {"queue_maxsize"});
}

TEST_F(ValidationTest, QueueSizeBeyondItsBoundsNamesValueAndBound) {
  auto pipeline_with_queue = [&](std::size_t queue) {
    Pipeline p(PipelineOptions{.default_placement = Placement::Thread, .queue_maxsize = queue, .registry = &registry});
    p.add("test-count-source", "src", {{"count", "3"}}).add("test-check-sink", "sink");
    p.link("src", "sink");
    return p;
  };
  expect_error<ValidationError>([&] { pipeline_with_queue(kQueueMaxsizeLimit + 1).validate(); },
                                {"queue_maxsize", "65537", "65536"});
  const std::size_t huge = std::size_t{1} << 63 | 1;  // std::bit_ceil of it is undefined
  expect_error<ValidationError>([&] { pipeline_with_queue(huge).run(); },
                                {"queue_maxsize", "9223372036854775809", "65536"});
  expect_error<ValidationError>([&] { pipeline_with_queue(SIZE_MAX).run(); }, {"18446744073709551615", "65536"});
  EXPECT_NO_THROW(pipeline_with_queue(kQueueMaxsizeLimit).run());
  EXPECT_NO_THROW(pipeline_with_queue(1).run());
}

TEST_F(ValidationTest, JoinTimeoutBeyondItsBoundsNamesValueAndBound) {
  auto pipeline_with_timeout = [&](std::chrono::milliseconds timeout) {
    Pipeline p(PipelineOptions{.join_timeout = timeout, .registry = &registry});
    p.add("test-count-source", "src").add("test-check-sink", "sink");
    p.link("src", "sink");
    return p;
  };
  using std::chrono::milliseconds;
  expect_error<ValidationError>([&] { pipeline_with_timeout(kJoinTimeoutLimit + milliseconds(1)).validate(); },
                                {"join_timeout", "86400001", "86400000"});
  // Where the timeout in nanoseconds overflows.
  expect_error<ValidationError>([&] { pipeline_with_timeout(milliseconds(9223372036854)).validate(); },
                                {"join_timeout", "9223372036854", "86400000"});
  expect_error<ValidationError>([&] { pipeline_with_timeout(milliseconds(-1)).validate(); },
                                {"join_timeout", "-1", "86400000"});
  EXPECT_NO_THROW(pipeline_with_timeout(kJoinTimeoutLimit).validate());
  EXPECT_NO_THROW(pipeline_with_timeout(milliseconds(0)).validate());
}

/// Texts of values just beyond each bound of a numeric property, and its range as errors print it.
std::pair<std::vector<std::string>, std::string> beyond_bounds(const PropertySpec& spec) {
  const double min = *spec.min, max = *spec.max;
  if (spec.type == PropertyType::Int) {
    const auto low = static_cast<std::int64_t>(min), high = static_cast<std::int64_t>(max);
    return {{std::to_string(low - 1), std::to_string(high + 1)}, fmt::format("[{}, {}]", low, high)};
  }
  const double step_down = std::max(1.0, std::fabs(min)), step_up = std::max(1.0, std::fabs(max));
  return {{fmt::format("{}", min - step_down), fmt::format("{}", max + step_up), "nan", "inf", "-inf"},
          fmt::format("[{}, {}]", min, max)};
}

TEST_F(ValidationTest, EveryNumericPropertyRefusesValuesBeyondItsBounds) {
  Registry all;
  elements::register_all(all);
  test::register_test_elements(all);
  std::size_t checked = 0;
  for (const auto& type : all.names()) {
    for (const PropertySpec& spec : all.at(type).info.properties) {
      if (spec.type != PropertyType::Int && spec.type != PropertyType::Double) continue;
      ASSERT_TRUE(spec.min && spec.max) << type << " declares " << spec.name << " without bounds";
      const auto [values, range] = beyond_bounds(spec);
      for (const auto& value : values) {
        expect_error<PropertyError>([&] { all.make(type, "probe", {{spec.name, value}}); },
                                    {"'probe'", "'" + spec.name + "'", value, range});
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 20u) << "the elements declare fewer numeric properties than expected";
}

TEST_F(ValidationTest, UnknownTypeAndBadPropertyOnAdd) {
  Pipeline p = pipeline();
  expect_error<ValidationError>([&] { p.add("test-count-sourse", "src"); }, {"did you mean 'test-count-source'"});
  expect_error<PropertyError>([&] { p.add("test-count-source", "src", {{"count", "many"}}); },
                              {"'src'", "count", "many"});
  expect_error<ValidationError>([&] { p.add("test-count-source", ""); }, {"name"});
  EXPECT_TRUE(p.element_names().empty());
}

TEST_F(ValidationTest, UnknownElementLookups) {
  Pipeline p = pipeline();
  p.add("test-count-source", "src");
  expect_error<ValidationError>([&] { p.element("nope"); }, {"'nope'"});
  expect_error<ValidationError>([&] { p.placement("nope"); }, {"'nope'"});
}

}  // namespace
}  // namespace sgn
