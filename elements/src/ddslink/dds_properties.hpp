#pragma once
// The properties dds-sink and dds-source share, and their checks.

#include <sgn/element.hpp>
#include <sgn/properties.hpp>
#include <sgn/registry.hpp>

#include <string>
#include <vector>

namespace sgn::elements::dds {

/// topic, domain, config, schema, timeout, queue (`queue_doc`, `queue_default`), max-bytes.
std::vector<PropertySpec> link_properties(const std::string& queue_doc, std::int64_t queue_default);
/// Declares the link's one pad (`in` for a sink, `out` for a source) and that `schema`
/// chooses its type (Samples by default), so that sgn-inspect shows it without an instance.
void declare_link_pad(ElementInfo& info, bool input);
/// The schema type the `schema` property names.
const SchemaType& link_schema(const ElementArgs& args);
/// Refuses an empty topic or one DDS cannot name.
void check_topic(const ElementArgs& args, const std::string& topic);

}  // namespace sgn::elements::dds
