#include "ddslink/dds_properties.hpp"

#include <fmt/format.h>
#include <sgn/schemas/samples.capnp.h>

#include <algorithm>
#include <cctype>

#include "ddslink/dds_link.hpp"
#include "detail/limits.hpp"
#include "detail/property_error.hpp"

namespace sgn::elements::dds {

std::vector<PropertySpec> link_properties(const std::string& queue_doc, std::int64_t queue_default) {
  return {
      property<std::string>("topic", "", "DDS topic name (letters, digits, '_', '/', '-', '.')"),
      // DDS maps domain ids to UDP ports: 0..232 keep them in range with Cyclone's defaults.
      property<std::int64_t>("domain", 0, "DDS domain id", 0, 232),
      property<std::string>("config", "",
                            "Cyclone DDS configuration: an XML snippet ('<General>...') or the path of an XML file "
                            "(interfaces, peers, buffer sizes); empty: $CYCLONEDDS_URI or Cyclone's defaults"),
      property<std::string>("schema", "Samples", "schema type of the frames: Samples or Bytes"),
      property<double>("timeout", 30.0, "seconds to wait for the other end to appear (and for EOS to be acknowledged); 0: no limit",
                       0.0, 86400.0),
      property<std::int64_t>("queue", queue_default, queue_doc, 1, 65536),
      property<std::int64_t>("max-bytes", sgn::elements::detail::kMaxFrameDataBytes + 256,
                             "largest frame payload (Cap'n Proto segment) in bytes; a larger one is an error", 8,
                             sgn::elements::detail::kMaxFrameDataBytes + 256),
  };
}

void declare_link_pad(ElementInfo& info, bool input) {
  const std::vector<PadSpec> pad{{input ? "in" : "out", schema_type<schema::Samples>()}};
  info.inputs = input ? pad : std::vector<PadSpec>{};
  info.outputs = input ? std::vector<PadSpec>{} : pad;
  info.pad_schema_property = "schema";
}

const SchemaType& link_schema(const ElementArgs& args) {
  return data_schema(args, args.properties.get<std::string>("schema"));
}

namespace {
void check_topic(const ElementArgs& args, const std::string& topic) {
  if (topic.empty()) sgn::elements::detail::throw_property_error(args, "property 'topic' = '' must name a DDS topic");
  const bool valid = std::all_of(topic.begin(), topic.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '/' || c == '-' || c == '.';
  });
  if (!valid || topic.size() > 200) {
    sgn::elements::detail::throw_property_error(
        args, fmt::format("property 'topic' = '{}' is not a DDS topic name (at most 200 of: letters, digits, "
                          "'_', '/', '-', '.')",
                          topic));
  }
}
}  // namespace

LinkSettings::LinkSettings(const ElementArgs& args)
    : topic(args.properties.get<std::string>("topic")),
      domain(static_cast<int>(args.properties.get<std::int64_t>("domain"))),
      config(args.properties.get<std::string>("config")),
      schema(link_schema(args)),
      timeout_s(args.properties.get<double>("timeout")),
      queue(args.properties.get<std::int64_t>("queue")),
      max_bytes(args.properties.get<std::int64_t>("max-bytes")) {
  check_topic(args, topic);
}

}  // namespace sgn::elements::dds
