#pragma once
// The writing side of a DDS link serializes frames itself: a Cyclone sertype of its own for
// type sgn_dds::Frame (sgn_frame.idl), whose samples are built straight from the frame, in the
// same XCDR1 bytes Cyclone's serializer makes of the IDL type (any reader of that type reads
// them). Cyclone's serializer copied the whole payload into a buffer that started at 128
// bytes and grew by reallocation; this one copies at most kCopiedPayloadBytes of it, and
// refers to the rest in place when the frame's storage may be held by Cyclone (its writer
// history keeps a sample until every reader acknowledged it, and drops it from its own
// threads): heap storage may, shared-memory chunks of a subscriber may not (they are copied).
// Readers match it by type name: it carries no XTypes type information.

#include <dds/dds.h>

#include <sgn/frame.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sgn::elements::dds {

/// One frame as dds-sink writes it: dds_write(writer, &sample).
struct OutgoingSample {
  std::uint64_t sequence = 0;
  std::int64_t timestamp_ns = 0;
  std::uint64_t schema_id = 0;
  std::uint32_t flags = 0;
  std::string_view schema;       // the schema type's name
  const Frame* frame = nullptr;  // whose payload() starts with `payload_bytes` bytes (none for EOS, gap)
  std::uint32_t payload_bytes = 0;
};

/// Payload bytes a sample copies. Beyond them it refers to the frame when it may: the first
/// fragment (FragmentSize, 65000 bytes in kLinkTuning) then comes from the copy.
inline constexpr std::size_t kCopiedPayloadBytes = std::size_t{64} << 10;

/// Topic `name` on `participant` with the sertype above, for a writer of OutgoingSample.
/// A negative return is Cyclone's error code.
dds_entity_t create_writer_topic(dds_entity_t participant, const std::string& name);

/// The serialized bytes of `sample` (CDR header included), as a writer of that topic sends them.
std::vector<std::byte> serialized_bytes(const OutgoingSample& sample);

}  // namespace sgn::elements::dds
