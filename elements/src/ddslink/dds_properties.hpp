#pragma once
// The properties dds-sink and dds-source share, and their checks.

#include <sgn/element.hpp>
#include <sgn/properties.hpp>
#include <sgn/registry.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sgn::elements::dds {

/// topic, domain, config, schema, timeout, queue (`queue_doc`, `queue_default`), max-bytes.
std::vector<PropertySpec> link_properties(const std::string& queue_doc, std::int64_t queue_default);

/// The values of link_properties() an element was made with, the topic checked.
struct LinkSettings {
  explicit LinkSettings(const ElementArgs& args);
  std::string topic;
  int domain;
  std::string config;
  const SchemaType& schema;
  double timeout_s;
  std::int64_t queue;
  std::int64_t max_bytes;
};
/// Declares the link's one pad (`in` for a sink, `out` for a source) and that `schema`
/// chooses its type (Samples by default), so that sgn-inspect shows it without an instance.
void declare_link_pad(ElementInfo& info, bool input);
/// The schema type the `schema` property names.
const SchemaType& link_schema(const ElementArgs& args);

}  // namespace sgn::elements::dds
