#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sgn/elements/file_source.hpp>
#include <sgn/elements/stats_sink.hpp>
#include <sgn/schemas/bytes.capnp.h>
#include <sgn/schemas/frame.capnp.h>
#include <unistd.h>

#include <fstream>

#include "support/element_harness.hpp"
#include "support/harness_util.hpp"
#include "support/samples_util.hpp"
#include "support/temp_file.hpp"

namespace sgn {
namespace {

/// A registry with the elements and a "collector" that keeps frames in `frames`.
std::unique_ptr<Registry> registry_with_collector(std::vector<Frame>& frames) {
  auto registry = std::make_unique<Registry>();
  elements::register_all(*registry);
  registry->add(ElementType{{"collector", "", {}}, [&frames](const ElementArgs& args) -> std::unique_ptr<Element> {
                              return std::make_unique<test::Collector<schema::Samples>>(args, frames);
                            }});
  return registry;
}

/// Runs `source` -> (file-sink to `path`, collector) and returns what the collector saw.
std::vector<Frame> record(const std::string& source, const PropertyMap& properties, const std::string& path) {
  std::vector<Frame> frames;
  auto registry = registry_with_collector(frames);
  Pipeline p(PipelineOptions{.handle_signals = false, .registry = registry.get()});
  p.add(source, "src", properties).add("file-sink", "file", {{"location", path}}).add("collector", "seen");
  p.link("src", "file").link("src", "seen");
  p.run();
  return frames;
}

TEST(FileSource, ARecordingReplaysBitIdentically) {
  test::TempFile first("first.sgn"), second("second.sgn");
  const auto original =
      record("sine-source", {{"frames", "25"}, {"channels", "5"}, {"samples", "333"}, {"seed", "3"}}, first.path());
  const auto replayed = record("file-source", {{"location", first.path()}}, second.path());

  ASSERT_EQ(original.size(), 25u);
  ASSERT_EQ(replayed.size(), 25u);
  for (std::size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(replayed[i].header().sequence, original[i].header().sequence);
    EXPECT_EQ(replayed[i].header().timestamp_ns, original[i].header().timestamp_ns);
    EXPECT_EQ(replayed[i].header().schema_id, original[i].header().schema_id);
    EXPECT_EQ(test::payload_of(replayed[i]), test::payload_of(original[i])) << "frame " << i;
  }
  const std::string bytes = first.contents();
  EXPECT_GT(bytes.size(), 25u * 5 * 333 * sizeof(float));
  EXPECT_EQ(second.contents(), bytes);
}

TEST(FileSource, GapsAndSequencesSurviveTheRoundTrip) {
  test::TempFile first("first.sgn"), second("second.sgn");
  {
    testing::Harness h(test::element_registry(), "file-sink", {{"location", first.path()}});
    h.push<schema::Samples>(test::samples_frame({1, 2}, 1))
        .push_gap()
        .push_gap()
        .push<schema::Samples>(test::samples_frame({3, 4, 5, 6}, 2));
    h.finish();
  }
  testing::Harness h(test::element_registry(), "file-source", {{"location", first.path()}});
  const auto frames = h.pull_all<schema::Samples>();
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_FALSE(frames[0].gap());
  EXPECT_TRUE(frames[1].gap());
  EXPECT_TRUE(frames[2].gap());
  for (std::uint64_t i = 0; i < 4; ++i) EXPECT_EQ(frames[i].sequence(), i);
  EXPECT_EQ(test::values_of(frames[3]), (std::vector<float>{3, 4, 5, 6}));
  h.finish();
  EXPECT_EQ(h.element<elements::FileSource>().frames_read(), 4u);

  record("file-source", {{"location", first.path()}}, second.path());
  EXPECT_EQ(second.contents(), first.contents());
}

TEST(FileSource, RestampGivesFramesTheTimeTheyAreRead) {
  test::TempFile file("restamp.sgn");
  const auto original = record("sine-source", {{"frames", "3"}}, file.path());
  const std::int64_t before = monotonic_ns();
  testing::Harness h(test::element_registry(), "file-source", {{"location", file.path()}, {"restamp", "true"}});
  const auto frames = h.pull_all<schema::Samples>();
  ASSERT_EQ(frames.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_GE(frames[i].timestamp_ns(), before);
    EXPECT_EQ(test::payload_of(frames[i]), test::payload_of(original[i]));
  }
}

TEST(FileSource, FeedsAPipelineDownstream) {
  test::TempFile file("feed.sgn");
  record("sine-source", {{"frames", "10"}, {"channels", "2"}, {"samples", "128"}}, file.path());
  Registry registry;
  elements::register_all(registry);
  Pipeline p(PipelineOptions{.handle_signals = false, .registry = &registry});
  p.add("file-source", "src", {{"location", file.path()}})
      .add("fir", "fir", {{"taps", "16"}})
      .add("stats-sink", "stats");
  p.link("src", "fir").link("fir", "stats");
  p.run();
  const auto s = dynamic_cast<const elements::StatsSink&>(p.element("stats")).stats();
  EXPECT_EQ(s.frames, 10u);
  EXPECT_EQ(s.samples, 1280u);
  EXPECT_EQ(s.channels, 2u);
}

std::string run_error(const PropertyMap& properties) {
  testing::Harness h(test::element_registry(), "file-source", properties);
  try {
    h.finish();
  } catch (const ElementError& e) {
    EXPECT_EQ(e.element(), "file-source");
    return test::message_of(e);
  }
  return {};
}

TEST(FileSource, AMissingFileFailsNamingThePath) {
  const std::string message = run_error({{"location", "/nonexistent-dir/in.sgn"}});
  EXPECT_NE(message.find("/nonexistent-dir/in.sgn"), std::string::npos) << message;
}

TEST(FileSource, AFrameOfAnotherTypeFails) {
  test::TempFile file("bytes.sgn");
  {
    capnp::MallocMessageBuilder message;
    auto stored = message.initRoot<schema::StoredFrame>();
    stored.initHeader().setSchemaId(capnp::typeId<schema::Bytes>());
    stored.getHeader().setMessageBytes(8);
    stored.initSegment(8);
    const int fd = ::open(file.path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    capnp::writeMessageToFd(fd, message);
    ::close(fd);
  }
  const std::string message = run_error({{"location", file.path()}});
  EXPECT_NE(message.find("Samples"), std::string::npos) << message;
  EXPECT_NE(message.find(file.path()), std::string::npos) << message;
}

TEST(FileSource, ATruncatedFileFailsNamingThePath) {
  test::TempFile file("whole.sgn"), cut("cut.sgn");
  record("sine-source", {{"frames", "2"}}, file.path());
  const std::string bytes = file.contents();
  std::ofstream(cut.path(), std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  const std::string message = run_error({{"location", cut.path()}});
  EXPECT_NE(message.find(cut.path()), std::string::npos) << message;
}

TEST(FileSource, NeedsALocation) {
  const std::string message = test::property_error("file-source", {{"location", ""}}, "replay");
  EXPECT_NE(message.find("'replay'"), std::string::npos) << message;
  EXPECT_NE(message.find("location"), std::string::npos) << message;
}

}  // namespace
}  // namespace sgn
