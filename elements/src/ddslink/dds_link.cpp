#include "ddslink/dds_link.hpp"

#include "ddslink/frame_sertype.hpp"
#include "ddslink/received_sertype.hpp"

#include <fmt/format.h>
#include <sgn/error.hpp>
#include <sgn/schemas/bytes.capnp.h>
#include <sgn/schemas/samples.capnp.h>
#include <malloc.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "detail/property_error.hpp"
#include "sgn_frame.h"

namespace sgn::elements::dds {
namespace {

const std::array<const SchemaType*, 2>& data_schemas() {
  static const std::array<const SchemaType*, 2> schemas{&schema_type<schema::Samples>(),
                                                        &schema_type<schema::Bytes>()};
  return schemas;
}

// The domains this process created, by id: Cyclone allows one configuration of a domain
// per process, so elements that share a domain share its entity.
struct DomainUse {
  dds_entity_t domain = 0;
  std::string config;
  int users = 0;
};
std::mutex domains_mutex;
std::map<int, DomainUse>& domains() {
  static std::map<int, DomainUse> table;
  return table;
}

// Applied before the user's configuration (which may override any of it): large frames
// travel in 64 KB messages (IP fragments them on the wire), and a writer keeps up to
// 3 MB unacknowledged before it waits: below the 4 MB a receiving socket gets here
// (net.core.rmem_max, which a network namespace cannot raise), so a fast writer does not
// overrun its reader's socket and spend itself resending (with 64 MB, 1 KiB frames ran
// at 110-340 k frames/s, resending up to half of them; with 3 MB 620-760 k), and above
// Cyclone's 500 kB default, which makes a 16 MiB frame crawl. A fragment lost to a full
// socket buffer (a 16 MiB frame is a burst of 256 messages) is asked for again after 10 ms,
// not Cyclone's 100 ms, and the writer heartbeats every 10 ms while it holds
// unacknowledged data. Writes are batched (dds-sink flushes when it finds its input empty).
// bench/dds_bench.sh gives ddsperf the same settings.
constexpr std::string_view kLinkTuning =
    "<CycloneDDS><Domain id=\"any\"><General><MaxMessageSize>65500B</MaxMessageSize>"
    "<FragmentSize>65000B</FragmentSize></General><Internal><Watermarks><WhcHigh>3MB</WhcHigh>"
    "<WhcHighInit>3MB</WhcHighInit></Watermarks><SocketReceiveBufferSize max=\"8MB\"/>"
    "<SocketSendBufferSize max=\"8MB\"/><WriteBatch>true</WriteBatch><NackDelay>10ms</NackDelay>"
    "<HeartbeatInterval min=\"1ms\" minsched=\"1ms\">10ms</HeartbeatInterval></Internal></Domain></CycloneDDS>";

// The configuration string for dds_create_domain: our tuning, then the user's (config, or
// $CYCLONEDDS_URI when config is empty, as Cyclone itself would read).
std::string cyclone_config(std::string_view element, const std::string& config) {
  std::string text(kLinkTuning);
  if (config.empty()) {
    const char* uri = std::getenv("CYCLONEDDS_URI");
    if (uri && *uri) text += std::string(",") + uri;
    return text;
  }
  if (config.front() == '<') return text + "," + config;
  if (::access(config.c_str(), R_OK) != 0) {
    throw Error(fmt::format("element '{}': config '{}' is neither an XML snippet (starting with '<') nor a readable "
                            "file: {}",
                            element, config, std::strerror(errno)));
  }
  return text + ",file://" + config;
}

void acquire_domain(std::string_view element, int domain, const std::string& config) {
  std::lock_guard lock(domains_mutex);
  auto it = domains().find(domain);
  if (it != domains().end()) {
    if (it->second.config != config) {
      throw Error(fmt::format("element '{}': DDS domain {} is already in use in this process with config '{}', not "
                              "'{}' (Cyclone DDS configures a domain once per process: give every element of the "
                              "domain the same config, or use another domain)",
                              element, domain, it->second.config, config));
    }
    ++it->second.users;
    return;
  }
  DomainUse use{0, config, 1};
  const std::string text = cyclone_config(element, config);
  use.domain = dds_create_domain(static_cast<dds_domainid_t>(domain), text.c_str());
  if (use.domain < 0) {
    throw Error(fmt::format("element '{}': Cyclone DDS refused config '{}' for domain {}: {} (its log on standard "
                            "error says why)",
                            element, config.empty() ? "$CYCLONEDDS_URI" : config, domain,
                            dds_strretcode(use.domain)));
  }
  domains().emplace(domain, use);
}

void release_domain(int domain) noexcept {
  std::lock_guard lock(domains_mutex);
  auto it = domains().find(domain);
  if (it == domains().end() || --it->second.users > 0) return;
  if (it->second.domain > 0) dds_delete(it->second.domain);
  domains().erase(it);
}

std::string hostname() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "?";
  return name.data();
}

// Little-endian reads at an offset of the serialized data (after its 4-byte header).
struct CdrReader {
  const std::byte* data;
  std::size_t size;  // readable from data
  std::size_t pos = 0;
  std::size_t max_align;
  std::size_t total;  // the sample's bytes, header included (for errors)

  void align(std::size_t n) {
    n = std::min(n, max_align);
    pos = (pos + n - 1) / n * n;
  }
  void need(std::size_t n, const char* what) const {
    if (pos > size || size - pos < n) {
      throw std::runtime_error(fmt::format("a serialized frame of {} bytes ends inside its {}", total, what));
    }
  }
  template <class T>
  T get(const char* what) {
    align(sizeof(T));
    need(sizeof(T), what);
    T value;
    std::memcpy(&value, data + pos, sizeof value);
    pos += sizeof value;
    return value;
  }
};

}  // namespace

const SchemaType& data_schema(const ElementArgs& args, const std::string& name) {
  std::string known;
  for (const SchemaType* schema : data_schemas()) {
    if (schema->name == name) return *schema;
    known += known.empty() ? schema->name : ", " + schema->name;
  }
  sgn::elements::detail::throw_property_error(
      args, fmt::format("property 'schema' = '{}' is not a schema type a link can carry ({})", name, known));
}

void throw_dds(std::string_view element, std::string_view topic, std::string_view call, dds_return_t rc) {
  throw Error(fmt::format("element '{}': topic '{}': {} failed: {}", element, topic, call, dds_strretcode(rc)));
}

Participant::Participant(std::string element, int domain, const std::string& config, const std::string& topic,
                         TopicType type)
    : element_(std::move(element)), topic_name_(topic), domain_(domain) {
  acquire_domain(element_, domain, config);
  participant_ = dds_create_participant(static_cast<dds_domainid_t>(domain), nullptr, nullptr);
  if (participant_ < 0) {
    const dds_return_t rc = participant_;
    release_domain(domain_);
    throw Error(fmt::format("element '{}': could not join DDS domain {}: {} (Cyclone's log on standard error says "
                            "why: an interface that does not exist, a port in use, ...)",
                            element_, domain, dds_strretcode(rc)));
  }
  switch (type) {
    case TopicType::Idl: topic_ = dds_create_topic(participant_, &sgn_dds_Frame_desc, topic.c_str(), nullptr, nullptr); break;
    case TopicType::Writing: topic_ = create_writer_topic(participant_, topic); break;
    case TopicType::Reading: topic_ = create_reader_topic(participant_, topic); break;
  }
  if (topic_ < 0) {
    const dds_return_t rc = topic_;
    dds_delete(participant_);
    release_domain(domain_);
    throw_dds(element_, topic, "dds_create_topic", rc);
  }
}

Participant::~Participant() {
  dds_delete(participant_);  // and its topic, readers and writers
  release_domain(domain_);
}

dds_qos_t* link_qos(std::int64_t depth, dds_duration_t lease, const std::string& user_data) {
  dds_qos_t* qos = dds_create_qos();
  dds_qset_reliability(qos, DDS_RELIABILITY_RELIABLE, kWriteBlocking);
  dds_qset_history(qos, DDS_HISTORY_KEEP_ALL, 0);
  dds_qset_resource_limits(qos, static_cast<int32_t>(depth), DDS_LENGTH_UNLIMITED, DDS_LENGTH_UNLIMITED);
  dds_qset_durability(qos, DDS_DURABILITY_VOLATILE);
  dds_qset_liveliness(qos, DDS_LIVELINESS_AUTOMATIC, lease);
  if (!user_data.empty()) dds_qset_userdata(qos, user_data.data(), user_data.size());
  return qos;
}

void keep_large_allocations_in_heap() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc takes at most 32 MiB
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
  });
}

std::string WriterInfo::describe() const {
  return fmt::format("writer '{}' (pid {} on {}, guid {})", element, pid, host, guid);
}

std::string writer_user_data(const SchemaType& schema, const std::string& element) {
  return fmt::format("sgn-dds/1 schema={} id={:#x} pid={} host={} element={}", schema.name, schema.id, ::getpid(),
                     hostname(), element);
}

std::optional<WriterInfo> parse_writer_user_data(std::string_view text) {
  constexpr std::string_view magic = "sgn-dds/1 ";
  if (text.substr(0, magic.size()) != magic) return std::nullopt;
  text.remove_prefix(magic.size());
  WriterInfo info;
  auto field = [&](std::string_view key, bool last) -> std::string {
    if (text.substr(0, key.size()) != key) throw std::invalid_argument("field");
    text.remove_prefix(key.size());
    const std::size_t end = last ? text.size() : text.find(' ');
    std::string value(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : std::min(text.size(), end + 1));
    return value;
  };
  try {
    info.schema = field("schema=", false);
    info.schema_id = std::stoull(field("id=", false), nullptr, 16);
    info.pid = std::stol(field("pid=", false));
    info.host = field("host=", false);
    info.element = field("element=", true);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return info;
}

std::string guid_hex(const dds_guid_t& guid) {
  std::string hex;
  for (std::uint8_t b : guid.v) hex += fmt::format("{:02x}", b);
  return hex;
}

SampleView read_sample(const std::byte* data, std::size_t size, std::size_t available) {
  available = std::min(available, size);
  if (available < 4) throw std::runtime_error(fmt::format("a serialized frame of {} bytes has no CDR header", size));
  const auto kind = static_cast<unsigned>(std::to_integer<unsigned>(data[0]) << 8 | std::to_integer<unsigned>(data[1]));
  std::size_t max_align = 0;
  if (kind == 0x0001) max_align = 8;       // CDR_LE (XCDR1)
  else if (kind == 0x0007) max_align = 4;  // CDR2_LE (XCDR2, final types)
  else {
    throw std::runtime_error(fmt::format("a serialized frame has encapsulation {:#06x}; only little-endian plain CDR "
                                         "(XCDR1 0x0001, XCDR2 0x0007) is read",
                                         kind));
  }
  // The fields must lie in the first `available` bytes; the payload within `size`.
  CdrReader in{data + 4, available - 4, 0, max_align, size};
  SampleView view;
  view.sequence = in.get<std::uint64_t>("sequence");
  view.timestamp_ns = in.get<std::int64_t>("timestamp");
  view.schema_id = in.get<std::uint64_t>("schema id");
  view.flags = in.get<std::uint32_t>("flags");
  const auto name_bytes = in.get<std::uint32_t>("schema name");
  in.need(name_bytes, "schema name");
  if (name_bytes == 0 || data[4 + in.pos + name_bytes - 1] != std::byte{0}) {
    throw std::runtime_error("a serialized frame's schema name is not a terminated string");
  }
  view.schema = std::string_view(reinterpret_cast<const char*>(data + 4 + in.pos), name_bytes - 1);
  in.pos += name_bytes;
  view.payload_bytes = in.get<std::uint32_t>("payload length");
  in.size = size - 4;
  in.need(view.payload_bytes, "payload");
  view.payload_offset = 4 + in.pos;
  if (view.payload_offset + view.payload_bytes <= available) view.payload = data + view.payload_offset;
  return view;
}

}  // namespace sgn::elements::dds
