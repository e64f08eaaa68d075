// The pieces dds-sink and dds-source share (elements/src/ddslink/dds_link.hpp): reading a
// sample Cyclone serialized, the writer's self-description, the schema names, and one
// configuration per domain and process. Runs under support/private_net.sh (a network
// namespace with only a loopback), as a participant joins a DDS domain.

#include "ddslink/dds_link.hpp"

#include <dds/ddsi/ddsi_serdata.h>
#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/schemas/bytes.capnp.h>
#include <sgn/schemas/samples.capnp.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "sgn_frame.h"
#include "support/dds_loopback.hpp"

namespace {

namespace dds = sgn::elements::dds;

using sgn::test::kDdsLoopback;
using sgn::test::serialized_by_cyclone;

TEST(DdsLinkTest, ASampleCycloneSerializedIsReadInPlace) {
  dds::Participant p("unit", 30, kDdsLoopback, "read_in_place");
  std::vector<std::uint8_t> payload(4096);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
  std::string schema = "Samples";
  sgn_dds_Frame sample{};
  sample.frame_sequence = 42;
  sample.timestamp_ns = -5;
  sample.schema_id = 0x1234'5678'9abc'def0;
  sample.flags = sgn::kFrameGap;
  sample.schema = schema.data();
  sample.payload._buffer = payload.data();
  sample.payload._length = sample.payload._maximum = static_cast<std::uint32_t>(payload.size());
  const std::vector<std::byte> bytes = serialized_by_cyclone(p, sample);
  ASSERT_FALSE(bytes.empty());
  const dds::SampleView view = dds::read_sample(bytes.data(), bytes.size());
  EXPECT_EQ(view.sequence, 42u);
  EXPECT_EQ(view.timestamp_ns, -5);
  EXPECT_EQ(view.schema_id, 0x1234'5678'9abc'def0u);
  EXPECT_EQ(view.flags, static_cast<std::uint32_t>(sgn::kFrameGap));
  EXPECT_EQ(view.schema, "Samples");
  ASSERT_EQ(view.payload_bytes, payload.size());
  EXPECT_EQ(std::memcmp(view.payload, payload.data(), payload.size()), 0);
  EXPECT_EQ(view.payload + view.payload_bytes, bytes.data() + bytes.size());

  // Cut anywhere, it is refused, never read past its end.
  for (std::size_t size : {std::size_t{0}, std::size_t{3}, std::size_t{20}, std::size_t{40}, bytes.size() - 1}) {
    EXPECT_THROW(dds::read_sample(bytes.data(), size), std::runtime_error) << size;
  }
  std::vector<std::byte> big_endian = bytes;
  big_endian[1] = std::byte{0};  // CDR_BE
  EXPECT_THROW(dds::read_sample(big_endian.data(), big_endian.size()), std::runtime_error);

  // Only its first bytes at hand (a sample held in fragments): the fields are read, the
  // payload is located; fewer bytes than the fields is refused.
  const std::size_t fields = bytes.size() - payload.size();
  const dds::SampleView head = dds::read_sample(bytes.data(), bytes.size(), fields);
  EXPECT_EQ(head.sequence, 42u);
  EXPECT_EQ(head.schema, "Samples");
  EXPECT_EQ(head.payload_bytes, payload.size());
  EXPECT_EQ(head.payload_offset, fields);
  EXPECT_EQ(head.payload, nullptr);
  EXPECT_THROW(dds::read_sample(bytes.data(), bytes.size(), fields - 5), std::runtime_error);
  EXPECT_THROW(dds::read_sample(bytes.data(), bytes.size() - 8, fields), std::runtime_error);
}

TEST(DdsLinkTest, TheWritersUserDataSaysWhoItIsAndWhatItCarries) {
  const auto& samples = sgn::schema_type<sgn::schema::Samples>();
  const auto info = dds::parse_writer_user_data(dds::writer_user_data(samples, "dds-sink0"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->schema, "Samples");
  EXPECT_EQ(info->schema_id, samples.id);
  EXPECT_EQ(info->element, "dds-sink0");
  EXPECT_EQ(info->pid, ::getpid());
  EXPECT_FALSE(info->host.empty());
  EXPECT_FALSE(dds::parse_writer_user_data("hello"));
  EXPECT_FALSE(dds::parse_writer_user_data("sgn-dds/1 schema=Samples id=zz pid=1 host=h element=e"));
}

TEST(DdsLinkTest, ALinkCarriesTheDataSchemasByName) {
  sgn::ElementArgs args{"d", "dds-sink", {}};
  EXPECT_EQ(dds::data_schema(args, "Samples"), sgn::schema_type<sgn::schema::Samples>());
  EXPECT_EQ(dds::data_schema(args, "Bytes"), sgn::schema_type<sgn::schema::Bytes>());
  try {
    dds::data_schema(args, "Frame");
    FAIL() << "no error";
  } catch (const sgn::PropertyError& e) {
    EXPECT_NE(std::string(e.what()).find("element 'd' (dds-sink): property 'schema' = 'Frame' is not a schema type a "
                                         "link can carry (Samples, Bytes)"),
              std::string::npos)
        << e.what();
  }
}

TEST(DdsLinkTest, ElementsOfOneProcessShareADomainOnlyWithTheSameConfig) {
  dds::Participant first("a", 31, kDdsLoopback, "shared");
  dds::Participant second("b", 31, kDdsLoopback, "shared");  // the same domain, shared
  try {
    dds::Participant third("c", 31, "", "shared");
    FAIL() << "no error";
  } catch (const sgn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("element 'c': DDS domain 31 is already in use in this process with config"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(dds::Participant("d", 32, "/no/such/file.xml", "t"), sgn::Error);
  dds::Participant other("e", 33, kDdsLoopback, "t");  // another domain: its own configuration
}

}  // namespace
