// sgn::testing::Harness itself: push, pull, gaps and EOS through one element in every
// placement (process placement starts a real worker and RouDi inside the private
// namespace of support/private_shm.sh), bounded pulls, an element that throws, sources,
// sinks, several pads, and nothing left behind.

#include <gtest/gtest.h>
#include <sgn/elements/null_sink.hpp>
#include <sgn/elements/register.hpp>
#include <sgn/init.hpp>
#include <sgn/schemas/bytes.capnp.h>
#include <sgn/schemas/samples.capnp.h>
#include <sgn/testing/harness.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "roudi/run_record.hpp"
#include "support/leftovers.hpp"
#include "support/test_elements.hpp"
#include "support/wait_until.hpp"

namespace sgn {
namespace {

using namespace std::chrono_literals;
using schema::Bytes;
using schema::Samples;
using testing::Harness;
using testing::HarnessError;

/// Sends each Bytes frame to "even" or "odd" by its first byte; gaps to both.
class Splitter final : public WorkerElement {
 public:
  static ElementInfo describe() { return {"harness-test-splitter", "splits frames by the parity of byte 0", {}}; }
  explicit Splitter(const ElementArgs& args)
      : WorkerElement(args, {{"in", schema_type<Bytes>()}},
                      {{"even", schema_type<Bytes>()}, {"odd", schema_type<Bytes>()}}) {}

 protected:
  void run(WorkerContext& ctx) override {
    InputPad in = ctx.input();
    OutputPad even = ctx.output("even"), odd = ctx.output("odd");
    while (std::optional<Frame> frame = in.pull()) {
      if (frame->eos()) return;
      if (frame->gap()) {
        if (!even.push_gap(frame->header().timestamp_ns) || !odd.push_gap(frame->header().timestamp_ns)) return;
        continue;
      }
      auto view = frame->read<Bytes>();
      OutputPad& out = view->getData()[0] % 2 == 0 ? even : odd;
      FrameWriter writer = out.loan(view->totalSize().wordCount * 8 + 64);
      writer.init<Bytes>().setData(view->getData());
      if (!out.push(std::move(writer))) return;
    }
  }
};

/// Adds byte 0 of one frame from "a" and one from "b"; ends when either ends.
class Adder final : public WorkerElement {
 public:
  static ElementInfo describe() { return {"harness-test-adder", "adds byte 0 of a frame from each input", {}}; }
  explicit Adder(const ElementArgs& args)
      : WorkerElement(args, {{"a", schema_type<Bytes>()}, {"b", schema_type<Bytes>()}},
                      {{"out", schema_type<Bytes>()}}) {}

 protected:
  void run(WorkerContext& ctx) override {
    InputPad a = ctx.input("a"), b = ctx.input("b");
    OutputPad out = ctx.output();
    for (;;) {
      std::optional<Frame> x = a.pull();
      if (!x || x->eos()) return;
      std::optional<Frame> y = b.pull();
      if (!y || y->eos()) return;
      FrameWriter writer = out.loan(64);
      writer.init<Bytes>().initData(1)[0] =
          static_cast<std::uint8_t>(x->read<Bytes>()->getData()[0] + y->read<Bytes>()->getData()[0]);
      if (!out.push(std::move(writer))) return;
    }
  }
};

Registry& test_registry() {
  static Registry registry;
  return registry;
}

/// A Samples frame of `values`, one channel.
auto samples(std::vector<float> values) {
  return [values = std::move(values)](Samples::Builder out) {
    out.setSampleRate(1000);
    out.setChannelCount(1);
    auto data = out.initData(static_cast<unsigned>(values.size()));
    for (unsigned i = 0; i < values.size(); ++i) data.set(i, values[i]);
  };
}

auto bytes(std::initializer_list<std::uint8_t> values) {
  return [v = std::vector<std::uint8_t>(values)](Bytes::Builder out) {
    auto data = out.initData(static_cast<unsigned>(v.size()));
    for (unsigned i = 0; i < v.size(); ++i) data[i] = v[i];
  };
}

std::vector<float> values_of(const testing::Output<Samples>& frame) {
  std::vector<float> out;
  for (float v : frame->getData()) out.push_back(v);
  return out;
}

class HarnessCleanupTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // Every worker reaped and every segment of ours unlinked once a harness is gone
    // (private_shm.sh checks RouDi and the rest when the binary ends).
    EXPECT_TRUE(test::children_named("sgn-worker:").empty()) << "a worker process is left";
    EXPECT_TRUE(test::own_sgn_segments().empty()) << "a shared-memory segment is left";
  }
};

class HarnessTest : public HarnessCleanupTest, public ::testing::WithParamInterface<Placement> {
 protected:
  Harness make(std::string_view type, const PropertyMap& properties = {}) {
    return Harness(test_registry(), type, properties, GetParam());
  }
};

TEST_P(HarnessTest, FramesGapsAndEosComeOutInOrderWithTheirHeaders) {
  Harness h = make("scale", {{"gain", "2"}});
  EXPECT_EQ(h.placement(), GetParam());
  const std::int64_t before = monotonic_ns();
  h.push<Samples>(samples({1, 2, 3})).push_gap().push<Samples>(samples({4}));
  const auto first = h.pull<Samples>();
  EXPECT_EQ(values_of(first), (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(first.sequence(), 0u);
  EXPECT_FALSE(first.gap());
  EXPECT_GE(first.timestamp_ns(), before);
  EXPECT_LE(first.timestamp_ns(), monotonic_ns());
  const auto gap = h.pull<Samples>();
  EXPECT_TRUE(gap.gap());
  EXPECT_EQ(gap.sequence(), 1u);
  EXPECT_THROW(gap.get(), FrameError);
  const auto last = h.pull<Samples>();
  EXPECT_EQ(values_of(last), (std::vector<float>{8}));
  EXPECT_EQ(last.sequence(), 2u);
  EXPECT_EQ(h.pending(), 0u);

  h.push_eos();
  h.pull_eos();
  const RunReport report = h.finish();
  EXPECT_FALSE(report.stopped);
  EXPECT_EQ(h.stats().frames_in, 2u);
  EXPECT_EQ(h.stats().frames_out, 2u);
  EXPECT_EQ(h.stats().gaps, 1u);
  EXPECT_EQ(h.stats().placement, GetParam());
  // Pulled frames are copies: they outlive the run (and its shared memory).
  EXPECT_EQ(values_of(first), (std::vector<float>{2, 4, 6}));
}

TEST_P(HarnessTest, EachPushIsProcessedBeforeTheNextIsMade) {
  Harness h = make("passthrough");
  for (std::uint8_t i = 0; i < 20; ++i) {
    h.push<Bytes>(bytes({i, 7}));
    const auto frame = h.pull<Bytes>();
    ASSERT_EQ(frame->getData().size(), 2u);
    EXPECT_EQ(frame->getData()[0], i);
    EXPECT_EQ(frame.sequence(), i);
  }
  EXPECT_FALSE(h.ended());
  h.finish();
  EXPECT_EQ(h.stats().frames_in, 20u);
}

TEST_P(HarnessTest, APushedMessageIsCopiedAsIs) {
  capnp::MallocMessageBuilder message;
  samples({5, 6})(message.initRoot<Samples>());
  {
    Harness h = make("passthrough");
    // passthrough carries Bytes: a Samples frame is refused at the push, naming the pad.
    try {
      h.push<Samples>(message.getRoot<Samples>().asReader());
      FAIL() << "expected a TypeMismatchError";
    } catch (const TypeMismatchError& e) {
      EXPECT_NE(std::string(e.what()).find("passthrough:in"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("Samples"), std::string::npos) << e.what();
    }
  }
  Harness h = make("scale", {{"gain", "1"}});
  h.push<Samples>(message.getRoot<Samples>().asReader());
  EXPECT_EQ(values_of(h.pull<Samples>()), (std::vector<float>{5, 6}));
  EXPECT_THROW(h.pull<Bytes>(), TypeMismatchError);
}

TEST_P(HarnessTest, AGivenTimestampIsKept) {
  Harness h = make("scale", {{"gain", "3"}});
  h.push<Samples>(samples({1}), {}, 123456789).push_gap({}, 987654321);
  EXPECT_EQ(h.pull<Samples>().timestamp_ns(), 123456789);  // a transform keeps its input's
  EXPECT_EQ(h.pull<Samples>().timestamp_ns(), 987654321);
}

TEST_P(HarnessTest, APullWithNothingToComeTimesOut) {
  Harness h = make("passthrough");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(h.try_pull<Bytes>(50ms).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  try {
    h.pull<Bytes>(50ms);
    FAIL() << "expected a HarnessError";
  } catch (const HarnessError& e) {
    EXPECT_NE(std::string(e.what()).find("passthrough:out"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("50 ms"), std::string::npos) << e.what();
  }
  EXPECT_THROW(h.pull_eos(50ms), HarnessError);
  EXPECT_FALSE(h.ended());
}

TEST_P(HarnessTest, AThrowingElementSurfacesAsItsElementError) {
  Harness h = make("test-transform", {{"throw_at", "1"}});
  h.push<Bytes>(bytes({1})).push<Bytes>(bytes({2})).push<Bytes>(bytes({3}));
  EXPECT_EQ(h.pull<Bytes>()->getData()[0], 1);
  try {
    h.pull<Bytes>();
    FAIL() << "expected the element's error";
  } catch (const ElementError& e) {
    EXPECT_EQ(e.element(), "test-transform");
    EXPECT_NE(describe_exception(e).find("refuses frame 1"), std::string::npos) << describe_exception(e);
  }
  EXPECT_TRUE(h.ended());
  EXPECT_TRUE(h.error());
  EXPECT_THROW(h.finish(), ElementError);
  EXPECT_THROW(h.finish(), ElementError);  // the same outcome again
}

TEST_P(HarnessTest, ASourceIsPulledUntilEos) {
  Harness h = make("sine-source", {{"frames", "5"}, {"samples", "16"}, {"channels", "2"}});
  EXPECT_TRUE(h.inputs().empty());
  EXPECT_THROW(h.push_gap(), HarnessError);
  const auto frames = h.pull_all<Samples>();
  ASSERT_EQ(frames.size(), 5u);
  for (std::uint64_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].sequence(), i);
    EXPECT_EQ(frames[i]->getData().size(), 32u);
  }
  try {
    h.pull<Samples>(1s);
    FAIL() << "expected a HarnessError";
  } catch (const HarnessError& e) {
    EXPECT_NE(std::string(e.what()).find("EOS was already pulled"), std::string::npos) << e.what();
  }
  EXPECT_EQ(h.finish().find("sine-source")->frames_out, 5u);
}

TEST_P(HarnessTest, AnEndlessSourceIsStopped) {
  testing::HarnessOptions options;
  options.max_held_frames = 4;
  Harness h(test_registry(), "sine-source", {{"samples", "8"}}, GetParam(), options);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(h.pull<Samples>().sequence(), static_cast<std::uint64_t>(i));
  // The harness holds at most 4 frames: the source waits for room meanwhile.
  ASSERT_TRUE(test::wait_until([&] { return h.pending() == 4; }, 20s));
  EXPECT_LE(h.pending(), 4u);
  const RunReport report = h.stop();
  EXPECT_TRUE(report.stopped);
  EXPECT_TRUE(h.ended());
}

TEST_P(HarnessTest, ASinkIsPushedAndReportsWhatItSaw) {
  Harness h = make("null-sink");
  EXPECT_TRUE(h.outputs().empty());
  EXPECT_THROW(h.pull<Bytes>(10ms), HarnessError);
  for (std::uint8_t i = 0; i < 10; ++i) h.push<Bytes>(bytes({i, i, i}));
  h.push_gap().push_eos();
  EXPECT_THROW(h.push<Bytes>(bytes({1})), HarnessError);
  EXPECT_THROW(h.push_gap(), HarnessError);
  h.finish();
  EXPECT_EQ(h.stats().frames_in, 10u);
  EXPECT_EQ(h.stats().gaps, 1u);
  if (GetParam() == Placement::Process) {
    EXPECT_THROW(h.element<elements::NullSink>(), HarnessError);  // that object never ran
  } else {
    EXPECT_EQ(h.element<elements::NullSink>().frames(), 10u);
  }
}

TEST_P(HarnessTest, AHarnessLeftRunningEndsWithIt) {
  {
    Harness h = make("passthrough");
    h.push<Bytes>(bytes({1}));
    EXPECT_EQ(h.pull<Bytes>()->getData()[0], 1);
  }  // no EOS, no finish(): the destructor stops the run, bounded
  // TearDown checks the worker and its segments are gone.
}

INSTANTIATE_TEST_SUITE_P(Placements, HarnessTest,
                         ::testing::Values(Placement::Main, Placement::Thread, Placement::Process),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

TEST_F(HarnessCleanupTest, SeveralOutputPadsArePulledByName) {
  for (Placement placement : {Placement::Thread, Placement::Process}) {
    SCOPED_TRACE(to_string(placement));
    Harness h(test_registry(), "harness-test-splitter", {}, placement);
    ASSERT_EQ(h.outputs().size(), 2u);
    h.push<Bytes>(bytes({2})).push<Bytes>(bytes({3})).push_gap().push<Bytes>(bytes({4}));
    EXPECT_EQ(h.pull<Bytes>("odd")->getData()[0], 3);
    EXPECT_TRUE(h.pull<Bytes>("odd").gap());
    EXPECT_EQ(h.pull<Bytes>("even")->getData()[0], 2);
    EXPECT_TRUE(h.pull<Bytes>("even").gap());
    EXPECT_EQ(h.pull<Bytes>("even")->getData()[0], 4);
    EXPECT_THROW(h.pull<Bytes>(), HarnessError);  // which pad?
    EXPECT_THROW(h.pull<Bytes>("nope"), HarnessError);
    h.push_eos();
    h.pull_eos("even");
    h.pull_eos("odd");
    h.finish();
  }
}

TEST_F(HarnessCleanupTest, SeveralInputPadsArePushedByName) {
  for (Placement placement : {Placement::Thread, Placement::Process}) {
    SCOPED_TRACE(to_string(placement));
    Harness h(test_registry(), "harness-test-adder", {}, placement);
    ASSERT_EQ(h.inputs().size(), 2u);
    h.push<Bytes>(bytes({40}), "a");
    EXPECT_FALSE(h.try_pull<Bytes>(50ms).has_value());  // it waits for "b"
    h.push<Bytes>(bytes({2}), "b");
    EXPECT_EQ(h.pull<Bytes>()->getData()[0], 42);
    EXPECT_THROW(h.push<Bytes>(bytes({1})), HarnessError);  // which pad?
    h.push_eos("a");
    EXPECT_THROW(h.push<Bytes>(bytes({1}), "a"), HarnessError);
    h.pull_eos();
    h.finish();
  }
}

TEST(Harness, APlacementTheElementCannotRunInFailsAtConstruction) {
  try {
    Harness h(test_registry(), "harness-test-splitter", {}, Placement::Main);
    FAIL() << "expected a ValidationError";
  } catch (const ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run in placement 'main'"), std::string::npos) << e.what();
  }
}

TEST_F(HarnessCleanupTest, OneProcessPlacementRunAtATime) {
  Harness first(test_registry(), "passthrough", {}, Placement::Process);
  try {
    Harness second(test_registry(), "scale", {}, Placement::Process);
    FAIL() << "expected a HarnessError";
  } catch (const HarnessError& e) {
    EXPECT_NE(std::string(e.what()).find("another harness"), std::string::npos) << e.what();
  }
  Harness beside(test_registry(), "scale", {}, Placement::Thread);  // threads are fine
  first.finish();
  Harness next(test_registry(), "scale", {}, Placement::Process);
  next.push<Samples>(samples({1}));
  EXPECT_EQ(values_of(next.pull<Samples>()), (std::vector<float>{1}));
}

TEST(Harness, MadeFromAnElementClass) {
  Harness h = Harness::of<test::TestTransform>({}, Placement::Thread);
  EXPECT_EQ(h.name(), "test-transform");
  h.push<Bytes>(bytes({9}));
  EXPECT_EQ(h.pull<Bytes>()->getData()[0], 9);
  h.push_eos();
  h.pull_eos();
  h.finish();
}

TEST(Harness, ABadPropertyFailsAtConstruction) {
  EXPECT_THROW(Harness(test_registry(), "scale", {{"gain", "many"}}), PropertyError);
  EXPECT_THROW(Harness(test_registry(), "no-such-element"), ValidationError);
}

TEST(Harness, TheElementCanBeNamed) {
  Harness h(test_registry(), "test-transform", {{"throw_at", "0"}}, Placement::Thread,
            testing::HarnessOptions{.name = "refuser"});
  h.push<Bytes>(bytes({1}));
  try {
    h.finish();
    FAIL() << "expected the element's error";
  } catch (const ElementError& e) {
    EXPECT_EQ(e.element(), "refuser");
  }
}

}  // namespace
}  // namespace sgn

int main(int argc, char** argv) {
  sgn::Registry& registry = sgn::test_registry();  // the program's: worker processes build from it
  sgn::elements::register_all(registry);
  sgn::test::register_test_elements(registry);
  registry.add<sgn::Splitter>().add<sgn::Adder>();
  sgn::init(argc, argv, registry);  // a worker process start ends here
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
