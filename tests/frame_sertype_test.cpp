// dds-sink's own serialization (elements/src/ddslink/frame_sertype.hpp): the bytes
// Cyclone's serializer makes of the IDL type, and a reader of that type gets every field
// and payload byte, of frames it copies and of frames it refers to; and so does
// dds-source's reader (received_sertype.hpp), which keeps a large sample's fragments. Runs under
// support/private_net.sh (a network namespace with only a loopback).

#include "ddslink/frame_sertype.hpp"
#include "ddslink/received_sertype.hpp"

#include <gtest/gtest.h>
#include <sgn/frame.hpp>
#include <sgn/schemas/bytes.capnp.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "frames/heap_frame_pool.hpp"
#include "support/child_process.hpp"
#include "support/dds_loopback.hpp"
#include "support/process_helpers.hpp"
#include "support/wait_until.hpp"

namespace {

namespace dds = sgn::elements::dds;
using sgn::test::kDdsLoopback;
using sgn::test::wait_until;
using namespace std::chrono_literals;

std::uint32_t subscribed(dds_entity_t reader) {
  dds_subscription_matched_status_t status{};
  dds_get_subscription_matched_status(reader, &status);
  return status.current_count;
}

std::uint32_t published(dds_entity_t writer) {
  dds_publication_matched_status_t status{};
  dds_get_publication_matched_status(writer, &status);
  return status.current_count;
}

// A heap frame whose message is a Bytes of `data_bytes`, each byte a function of its place.
sgn::Frame bytes_frame(std::size_t data_bytes) {
  sgn::FrameWriter writer = sgn::detail::loan_heap_frame(data_bytes + 64, "test:out");
  auto data = writer.init<sgn::schema::Bytes>().initData(static_cast<unsigned>(data_bytes));
  for (std::size_t i = 0; i < data_bytes; ++i) data[i] = static_cast<std::uint8_t>(i * 13 + i / 251);
  return writer.finish();
}

// `schema` must outlive the sample (a literal, or a string the caller keeps).
dds::OutgoingSample outgoing(const sgn::Frame* frame, std::uint64_t sequence, std::string_view schema) {
  dds::OutgoingSample s;
  s.sequence = sequence;
  s.timestamp_ns = -7 - static_cast<std::int64_t>(sequence);
  s.schema_id = 0xfeed'0000'0000'0000u + sequence;
  s.flags = frame ? 0u : static_cast<std::uint32_t>(sgn::kFrameEos);
  s.schema = schema;
  s.frame = frame;
  s.payload_bytes = frame ? static_cast<std::uint32_t>(frame->header().message_bytes) : 0;
  return s;
}

sgn_dds_Frame idl_sample(const dds::OutgoingSample& s) {
  sgn_dds_Frame sample{};
  sample.frame_sequence = s.sequence;
  sample.timestamp_ns = s.timestamp_ns;
  sample.schema_id = s.schema_id;
  sample.flags = s.flags;
  sample.schema = const_cast<char*>(s.schema.data());
  if (s.frame) {
    sample.payload._buffer = const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(s.frame->payload()));
    sample.payload._length = sample.payload._maximum = s.payload_bytes;
  }
  return sample;
}

TEST(FrameSertypeTest, SerializesAFrameAsCycloneSerializesTheIdlType) {
  dds::Participant p("unit", 40, kDdsLoopback, "same_bytes");
  // Schema names of every length modulo 4 move the payload's length field by its alignment.
  for (const std::string schema : {"B", "By", "Byt", "Byte", "Bytes", "Samples"}) {
    for (std::size_t data_bytes : {std::size_t{0}, std::size_t{1}, std::size_t{1000}}) {
      const sgn::Frame frame = bytes_frame(data_bytes);
      const dds::OutgoingSample s = outgoing(&frame, data_bytes + 1, schema);
      EXPECT_EQ(dds::serialized_bytes(s), sgn::test::serialized_by_cyclone(p, idl_sample(s)))
          << schema << ", " << data_bytes << " data bytes";
    }
    const dds::OutgoingSample eos = outgoing(nullptr, 9, schema);
    EXPECT_EQ(dds::serialized_bytes(eos), sgn::test::serialized_by_cyclone(p, idl_sample(eos))) << schema << ", EOS";
  }
}

// What the writer of the test below sends: 1 KiB copied whole; 300 KiB copied for its first
// 64 KiB and referred to for the rest (heap storage), crossing in fragments of which one
// spans the copy's end; EOS.
const std::vector<std::size_t> kDataBytes = {1024, 300 * 1024, 0};
constexpr int kDomain = 41;
constexpr const char* kTopic = "refers";

// The reader, in a process of its own (a reader in the writer's process would get samples
// delivered locally, not over the network), of the IDL type (SGN_FRAME_SERTYPE_READ_AS=idl)
// or of dds-source's type (=received): takes the three samples (bounded wait) and checks
// every field and payload byte. dds-source's samples are kept until the writer has gone (the
// receive buffers they hold must outlive Cyclone's use of them) and must come as pieces when
// large: the 300 KiB one in the fragments it crossed in, the others copied whole.
// Exit code 0: all there.
TEST(FrameSertypeHelper, ReadsTheFramesOfTheTestBelow) {
  const char* dir = std::getenv("SGN_FRAME_SERTYPE_READER");
  if (!dir) GTEST_SKIP() << "only run as the helper of another test";
  const bool received = std::string_view(std::getenv("SGN_FRAME_SERTYPE_READ_AS")) == "received";
  dds::Participant receiving("source", kDomain, kDdsLoopback, kTopic,
                             received ? dds::TopicType::Reading : dds::TopicType::Idl);
  dds_qos_t* qos = dds::link_qos(16, DDS_SECS(5), "");
  const dds_entity_t reader = dds_create_reader(receiving.participant(), receiving.topic(), qos, nullptr);
  dds_delete_qos(qos);
  ASSERT_GT(reader, 0);
  // The writer writes once this reader has matched it too: a reader that has not yet
  // heard of a writer starts from that writer's next sample.
  ASSERT_TRUE(wait_until([&] { return subscribed(reader) == 1; }, 20s)) << "the reader did not match the writer";
  { std::ofstream(std::string(dir) + "/matched") << "1"; }
  // Taken as dds-source takes them: serialized.
  std::vector<ddsi_serdata*> taken;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (taken.size() < kDataBytes.size() && std::chrono::steady_clock::now() < deadline) {
    ddsi_serdata* data = nullptr;
    dds_sample_info_t info{};
    const dds_return_t rc = dds_takecdr(reader, &data, 1, &info, DDS_ANY_STATE);
    ASSERT_GE(rc, 0);
    if (rc == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (info.valid_data) {
      taken.push_back(data);
    } else {
      ddsi_serdata_unref(data);
    }
  }
  const auto check = [&] {
    ASSERT_EQ(taken.size(), kDataBytes.size());
    for (std::size_t i = 0; i < kDataBytes.size(); ++i) {
      std::vector<std::byte> got(ddsi_serdata_size(taken[i]));
      ddsi_serdata_to_ser(taken[i], 0, got.size(), got.data());
      if (received) {
        const dds::ReceivedBytes bytes(taken[i]);
        ASSERT_EQ(bytes.size(), got.size());
        if (kDataBytes[i] >= dds::kHeldFromBytes) {
          EXPECT_GT(bytes.pieces(), 1u) << "frame " << i + 1 << " was reassembled, not held";
        } else {
          EXPECT_EQ(bytes.pieces(), 1u) << "frame " << i + 1;
        }
        // Its start in one span, as dds-source reads the fields: in place (no scratch used).
        std::array<std::byte, 1024> scratch{};
        const std::span<const std::byte> head = bytes.prefix(scratch);
        EXPECT_GE(head.size(), std::min(got.size(), scratch.size())) << "frame " << i + 1;
        EXPECT_NE(head.data(), scratch.data()) << "frame " << i + 1;
        EXPECT_EQ(std::memcmp(head.data(), got.data(), head.size()), 0) << "frame " << i + 1;
        std::vector<std::byte> copied(bytes.size());
        bytes.copy(0, copied.size(), copied.data());
        EXPECT_EQ(copied, got) << "frame " << i + 1;
        // A range across the pieces, as dds-source copies a payload.
        if (got.size() > 1000) {
          std::vector<std::byte> middle(got.size() - 1000);
          bytes.copy(500, middle.size(), middle.data());
          EXPECT_EQ(std::memcmp(middle.data(), got.data() + 500, middle.size()), 0) << "frame " << i + 1;
        }
      }
      const dds::SampleView sample = dds::read_sample(got.data(), got.size());
      const sgn::Frame expected = bytes_frame(kDataBytes[i]);
      const dds::OutgoingSample s = outgoing(kDataBytes[i] ? &expected : nullptr, i + 1, "Bytes");
      EXPECT_EQ(sample.sequence, s.sequence);
      EXPECT_EQ(sample.timestamp_ns, s.timestamp_ns);
      EXPECT_EQ(sample.schema_id, s.schema_id);
      EXPECT_EQ(sample.flags, s.flags);
      EXPECT_EQ(sample.schema, "Bytes");
      ASSERT_EQ(sample.payload_bytes, s.payload_bytes) << "frame " << s.sequence;
      if (s.frame) {
        EXPECT_EQ(std::memcmp(sample.payload, s.frame->payload(), s.payload_bytes), 0) << "frame " << s.sequence;
      }
    }
  };
  if (!received) check();
  // Stays until the writer has gone (bounded): its acknowledgements go out meanwhile.
  EXPECT_TRUE(wait_until([&] { return subscribed(reader) == 0; }, 20s)) << "the writer did not go";
  if (received) check();
  for (ddsi_serdata* data : taken) ddsi_serdata_unref(data);
}

// Writes the frames of kDataBytes to a reader in a child process that reads them as
// `read_as` (the helper above).
void write_to_a_reader_elsewhere(const std::string& read_as) {
  const std::filesystem::path dir = sgn::test::make_temp_dir("sgn-frame-sertype-test");
  sgn::test::ChildRunner runner(dir);
  const sgn::test::Child child =
      runner.start({"/proc/self/exe", "--gtest_filter=FrameSertypeHelper.ReadsTheFramesOfTheTestBelow"},
                   {.env = {"SGN_FRAME_SERTYPE_READER=" + dir.string(), "SGN_FRAME_SERTYPE_READ_AS=" + read_as}});
  // The writer's side; the reader is waited for (bounded) and its directory removed however it ends.
  [&] {
    dds::Participant sending("sink", kDomain, kDdsLoopback, kTopic, dds::TopicType::Writing);
    dds_qos_t* qos = dds::link_qos(16, DDS_SECS(5), "");
    const dds_entity_t writer = dds_create_writer(sending.participant(), sending.topic(), qos, nullptr);
    dds_delete_qos(qos);
    ASSERT_GT(writer, 0);
    ASSERT_TRUE(wait_until([&] { return published(writer) == 1; }, 20s))
        << "the writer of our type and the reader (" << read_as << ") did not match";
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir / "matched"); }, 20s))
        << "the reader did not match the writer";
    std::vector<sgn::Frame> frames;
    for (std::size_t bytes : kDataBytes) {
      if (bytes) frames.push_back(bytes_frame(bytes));
    }
    ASSERT_TRUE(frames[1].outlives_pipeline());
    for (std::size_t i = 0; i < kDataBytes.size(); ++i) {
      const dds::OutgoingSample s = outgoing(kDataBytes[i] ? &frames[i] : nullptr, i + 1, "Bytes");
      ASSERT_EQ(dds_write(writer, &s), DDS_RETCODE_OK);
    }
    dds_write_flush(writer);  // writes are batched (kLinkTuning), as dds-sink flushes them
    EXPECT_EQ(dds_wait_for_acks(writer, DDS_SECS(20)), DDS_RETCODE_OK);
    // The writer's history lets go of the frame it referred to once the writer goes.
    dds_delete(writer);
    for (const sgn::Frame& frame : frames) EXPECT_TRUE(frame.unique());
  }();
  const sgn::test::Result reader = runner.finish(child, std::chrono::seconds(30));
  EXPECT_EQ(reader.exit_code, 0) << reader.out << reader.err;
  std::filesystem::remove_all(dir);
}

TEST(FrameSertypeTest, AReaderOfTheIdlTypeElsewhereGetsFramesItCopiesAndFramesItRefersTo) {
  write_to_a_reader_elsewhere("idl");
}

TEST(FrameSertypeTest, DdsSourcesReaderElsewhereHoldsTheFragmentsOfLargeFramesAndCopiesSmallOnes) {
  write_to_a_reader_elsewhere("received");
}

}  // namespace
