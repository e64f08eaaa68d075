#pragma once
// What dds-sink and dds-source share: the data schemas a link may carry, a participant in
// a configured domain, the QoS of a lossless link, the writer's self-description (user
// data) and the reading of a serialized sample. Cyclone DDS stays inside elements/src.

#include <dds/dds.h>
#include <sgn/element.hpp>
#include <sgn/schema_type.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sgn::elements::dds {

/// A dds-sink's liveliness lease by default (`lease`): a writer not heard of for this
/// long is lost. 1 s was missed by a sender of 16 MiB frames on a loaded machine (its
/// host busy, not gone); a reader accepts whatever lease its writers offer.
inline constexpr double kDefaultLeaseSeconds = 2.0;
/// The longest a writer's dds_write() waits for its readers to acknowledge: it then
/// returns to the loop that polls it, which looks at its run and its other elements.
/// (10 ms made Cyclone resend 1 KiB samples one datagram each: a third of the rate.)
inline constexpr dds_duration_t kWriteBlocking = DDS_MSECS(100);

/// The schema type named `name` among those a link can carry (Samples, Bytes); throws
/// PropertyError naming the element and the names it knows.
const SchemaType& data_schema(const ElementArgs& args, const std::string& name);

/// An error of a DDS call, naming the element, the topic, the call and Cyclone's code.
[[noreturn]] void throw_dds(std::string_view element, std::string_view topic, std::string_view call, dds_return_t rc);

/// The sertype of a Participant's topic.
enum class TopicType {
  Idl,      ///< Cyclone's serializer of sgn_dds::Frame (sgn_frame.idl): samples of that C struct
  Writing,  ///< dds-sink's: a writer of OutgoingSample (frame_sertype.hpp)
  Reading,  ///< dds-source's: a reader of samples that keep their fragments (received_sertype.hpp)
};

/// A participant of this process in DDS domain `domain` and the link's topic. Cyclone
/// allows one configuration of a domain per process: elements of one process that use
/// the same domain share it (refcounted), and must give the same `config`.
/// `config` is "" ($CYCLONEDDS_URI, or Cyclone's defaults), an XML snippet
/// (starting with '<') or the path of an XML file.
class Participant {
 public:
  Participant(std::string element, int domain, const std::string& config, const std::string& topic,
              TopicType type = TopicType::Idl);
  ~Participant();
  Participant(const Participant&) = delete;
  Participant& operator=(const Participant&) = delete;

  dds_entity_t participant() const noexcept { return participant_; }
  dds_entity_t topic() const noexcept { return topic_; }
  const std::string& topic_name() const noexcept { return topic_name_; }
  const std::string& element() const noexcept { return element_; }

 private:
  std::string element_;
  std::string topic_name_;
  int domain_;
  dds_entity_t participant_ = 0;
  dds_entity_t topic_ = 0;
};

/// QoS of both ends of a link: reliable, keep-all, `depth` samples held at most, volatile,
/// automatic liveliness: a writer offers `lease`, a reader (DDS_INFINITY) takes any.
/// `user_data` goes in the QoS (writers). A writer also waits while it holds 3 MB
/// unacknowledged (the tuning in dds_link.cpp).
dds_qos_t* link_qos(std::int64_t depth, dds_duration_t lease, const std::string& user_data);

/// Keeps this process's large allocations in the malloc heap (glibc: mmap threshold 32 MiB,
/// trim threshold 256 MiB), once per process. Cyclone allocates every sample it
/// serializes or reassembles; above glibc's default threshold each one was a fresh mmap
/// whose every page faulted in (a 1 MiB frame went at 0.6 of the rate without this).
void keep_large_allocations_in_heap();

/// What a dds-sink says about itself in its writer's user data.
struct WriterInfo {
  std::string schema;  ///< schema type name
  std::uint64_t schema_id = 0;
  std::string element;  ///< the dds-sink's element name
  std::string host;
  long pid = 0;
  std::string guid;  ///< the writer's DDS GUID, hex
  /// "writer 'sink0' (pid 12 on host-a, guid 0110...)".
  std::string describe() const;
};
/// The user data of a writer of `schema` made by `element` in this process.
std::string writer_user_data(const SchemaType& schema, const std::string& element);
/// Reads `user_data`; nullopt if it is not a dds-sink's.
std::optional<WriterInfo> parse_writer_user_data(std::string_view user_data);
/// The GUID of an endpoint, as hex.
std::string guid_hex(const dds_guid_t& guid);

/// The fields of one serialized sgn_dds::Frame, read in place (the payload points into it).
struct SampleView {
  std::uint64_t sequence = 0;
  std::int64_t timestamp_ns = 0;
  std::uint64_t schema_id = 0;
  std::uint32_t flags = 0;
  std::string_view schema;
  std::size_t payload_offset = 0;   ///< from the start of the sample
  std::size_t payload_bytes = 0;
  const std::byte* payload = nullptr;  ///< when it lies in the bytes read
};
/// Reads a serialized sample of `size` bytes (CDR with its 4-byte encapsulation header,
/// little-endian XCDR1 or XCDR2) of which the first `available` are at `data` (at least
/// all but the payload); throws std::runtime_error saying what is malformed.
SampleView read_sample(const std::byte* data, std::size_t size, std::size_t available = SIZE_MAX);

}  // namespace sgn::elements::dds
