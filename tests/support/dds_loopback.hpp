#pragma once
// What the DDS tests share: Cyclone on the loopback only (the tests run in a network
// namespace of their own, support/private_net.sh), and a sample as Cyclone's own
// serializer makes it of the IDL type.

#include <dds/ddsi/ddsi_serdata.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ddslink/dds_link.hpp"
#include "sgn_frame.h"

namespace sgn::test {

inline const std::string kDdsLoopback =
    "<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface name=\"lo\"/></Interfaces>"
    "<AllowMulticast>false</AllowMulticast></General><Discovery><Peers><Peer address=\"127.0.0.1\"/></Peers>"
    "<ParticipantIndex>auto</ParticipantIndex></Discovery></Domain></CycloneDDS>";

// Writes `sample` with Cyclone's serializer (p's topic is of the IDL type) and takes it
// back serialized, as dds-source sees it.
inline std::vector<std::byte> serialized_by_cyclone(const elements::dds::Participant& p, const sgn_dds_Frame& sample) {
  dds_qos_t* qos = elements::dds::link_qos(16, DDS_SECS(1), "");
  const dds_entity_t reader = dds_create_reader(p.participant(), p.topic(), qos, nullptr);
  const dds_entity_t writer = dds_create_writer(p.participant(), p.topic(), qos, nullptr);
  dds_delete_qos(qos);
  EXPECT_GT(reader, 0);
  EXPECT_GT(writer, 0);
  EXPECT_EQ(dds_write(writer, &sample), DDS_RETCODE_OK);
  ddsi_serdata* data = nullptr;
  dds_sample_info_t info{};
  EXPECT_EQ(dds_takecdr(reader, &data, 1, &info, DDS_ANY_STATE), 1);  // delivered locally, at once
  std::vector<std::byte> bytes;
  if (data) {
    bytes.resize(ddsi_serdata_size(data));
    ddsi_serdata_to_ser(data, 0, bytes.size(), bytes.data());
    ddsi_serdata_unref(data);
  }
  dds_delete(writer);
  dds_delete(reader);
  return bytes;
}

}  // namespace sgn::test
