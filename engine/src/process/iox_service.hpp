#pragma once
// The iceoryx service of an sgn topic: ("sgn", <pipeline instance>, <event>).
// iceoryx keeps each string in an IdString_t and truncates longer ones, logging
// only: two long names would become one service. Strings are therefore checked
// here, and pad events are made unique by construction (service_event).

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include "iceoryx_posh/capro/service_description.hpp"
#include "sgn/error.hpp"

namespace sgn::detail {

/// Characters an iceoryx service string holds.
inline constexpr std::size_t kServiceStringCapacity = iox::capro::IdString_t::capacity();

/// Throws sgn::Error if a service string would not fit (iceoryx would truncate it).
inline iox::capro::ServiceDescription sgn_service(const std::string& instance, const std::string& event) {
  static const std::string kService = "sgn";
  for (const std::string* text : {&instance, &event}) {
    if (text->size() > kServiceStringCapacity) {
      throw Error(fmt::format("iceoryx service string '{}' has {} characters, more than the {} iceoryx holds", *text,
                              text->size(), kServiceStringCapacity));
    }
  }
  using iox::capro::IdString_t;
  return {IdString_t(iox::cxx::TruncateToCapacity, kService), IdString_t(iox::cxx::TruncateToCapacity, instance),
          IdString_t(iox::cxx::TruncateToCapacity, event)};
}

/// The event of output pad `pad_index` of node `node_index`: "element.pad#node.pad".
/// The suffix after the last '#' makes it unique per (node_index, pad_index) whatever
/// the names; "element.pad" is kept for readability, cut to fit (a '~' marks the cut).
inline std::string service_event(std::size_t node_index, std::size_t pad_index, std::string_view element,
                                 std::string_view pad) {
  const std::string id = fmt::format("#{}.{}", node_index, pad_index);  // at most 41 characters
  const std::size_t room = kServiceStringCapacity - id.size();
  std::string readable = fmt::format("{}.{}", element, pad);
  if (readable.size() > room) {
    // The element keeps at least half of what is left, more if ".pad" is short.
    const std::string dot_pad = fmt::format(".{}", pad);
    const std::size_t keep = room - 1;  // and the '~'
    const std::size_t element_room = keep > dot_pad.size() ? keep - dot_pad.size() : 0;
    const std::size_t element_keep = std::min(element.size(), std::max(keep / 2, element_room));
    readable = fmt::format("{}~{}", element.substr(0, element_keep), dot_pad.substr(0, keep - element_keep));
  }
  return readable + id;
}

}  // namespace sgn::detail
