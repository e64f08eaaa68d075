#include <capnp/serialize.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <kj/io.h>
#include <sgn/elements/file_sink.hpp>
#include <sgn/schemas/frame.capnp.h>
#include <unistd.h>

#include "support/element_harness.hpp"
#include "support/harness_util.hpp"
#include "support/samples_util.hpp"
#include "support/temp_file.hpp"

namespace sgn {
namespace {

struct Stored {
  FrameHeader header;
  std::string segment;
};

/// Reads a file-sink file with plain Cap'n Proto.
std::vector<Stored> read_stored(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  kj::FdInputStream raw(fd);
  kj::BufferedInputStreamWrapper input(raw);
  std::vector<Stored> out;
  while (input.tryGetReadBuffer().size() != 0) {
    capnp::InputStreamMessageReader message(input);
    auto stored = message.getRoot<schema::StoredFrame>();
    auto h = stored.getHeader();
    FrameHeader header{h.getSequence(), h.getTimestampNs(), h.getSchemaId(), h.getMessageBytes(), h.getFlags(), 0};
    auto segment = stored.getSegment();
    out.push_back({header, std::string(reinterpret_cast<const char*>(segment.begin()), segment.size())});
  }
  ::close(fd);
  return out;
}

TEST(FileSink, StoresEveryFrameHeaderAndSegmentByteForByte) {
  test::TempFile file("samples.sgn");
  std::vector<Frame> produced;
  Registry registry;
  elements::register_all(registry);
  registry.add(ElementType{{"collector", "", {}}, [&](const ElementArgs& args) -> std::unique_ptr<Element> {
                             return std::make_unique<test::Collector<schema::Samples>>(args, produced);
                           }});
  Pipeline p(PipelineOptions{.handle_signals = false, .registry = &registry});
  p.add("sine-source", "src", {{"frames", "6"}, {"channels", "3"}, {"samples", "50"}})
      .add("file-sink", "file", {{"location", file.path()}})
      .add("collector", "seen");
  p.link("src", "file").link("src", "seen");
  p.run();
  EXPECT_EQ(dynamic_cast<const elements::FileSink&>(p.element("file")).frames_written(), 6u);

  const auto stored = read_stored(file.path());
  ASSERT_EQ(stored.size(), 6u);
  ASSERT_EQ(produced.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) {
    const FrameHeader& h = produced[i].header();
    EXPECT_EQ(stored[i].header.sequence, h.sequence);
    EXPECT_EQ(stored[i].header.timestamp_ns, h.timestamp_ns);
    EXPECT_EQ(stored[i].header.schema_id, schema_type<schema::Samples>().id);
    EXPECT_EQ(stored[i].header.message_bytes, h.message_bytes);
    EXPECT_EQ(stored[i].header.flags, 0u);
    EXPECT_EQ(stored[i].segment, test::payload_of(produced[i])) << "frame " << i;
  }
}

TEST(FileSink, StoresGapsAsHeadersOnly) {
  test::TempFile file("gaps.sgn");
  testing::Harness h(test::element_registry(), "file-sink", {{"location", file.path()}});
  h.push<schema::Samples>(test::samples_frame({1, 2}, 1), {}, 1000)
      .push_gap({}, 2000)
      .push<schema::Samples>(test::samples_frame({3, 4}, 2), {}, 3000);
  h.finish();
  EXPECT_EQ(h.element<elements::FileSink>().frames_written(), 3u);
  const auto stored = read_stored(file.path());
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[1].header.flags, kFrameGap);
  EXPECT_EQ(stored[1].header.sequence, 1u);
  EXPECT_TRUE(stored[1].segment.empty());
  EXPECT_EQ(stored[2].header.sequence, 2u);
  EXPECT_FALSE(stored[2].segment.empty());
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(stored[i].header.timestamp_ns, 1000 * (std::int64_t(i) + 1));
}

TEST(FileSink, RunsInAWorkerThreadEvenInAMainPipeline) {
  test::TempFile file("thread.sgn");
  testing::Harness h(test::element_registry(), "file-sink", {{"location", file.path()}});
  EXPECT_EQ(h.placement(), Placement::Thread);
  h.finish();
  EXPECT_EQ(h.stats().placement, Placement::Thread);
  EXPECT_TRUE(read_stored(file.path()).empty());
}

TEST(FileSink, AnUnwritableLocationFailsNamingThePath) {
  testing::Harness h(test::element_registry(), "file-sink", {{"location", "/nonexistent-dir/out.sgn"}});
  try {
    h.finish();
    FAIL() << "expected an error";
  } catch (const ElementError& e) {
    EXPECT_EQ(e.element(), "file-sink");
    EXPECT_NE(test::message_of(e).find("/nonexistent-dir/out.sgn"), std::string::npos) << test::message_of(e);
  }
}

TEST(FileSink, NeedsALocation) {
  const std::string message = test::property_error("file-sink", {}, "recorder");
  EXPECT_NE(message.find("'recorder'"), std::string::npos) << message;
  EXPECT_NE(message.find("location"), std::string::npos) << message;
}

}  // namespace
}  // namespace sgn
