#pragma once
// The iceoryx service of an sgn topic: ("sgn", <pipeline instance>, <event>).

#include <string>

#include "iceoryx_posh/capro/service_description.hpp"

namespace sgn::detail {

inline iox::capro::ServiceDescription sgn_service(const std::string& instance, const std::string& event) {
  static const std::string kService = "sgn";
  using iox::capro::IdString_t;
  return {IdString_t(iox::cxx::TruncateToCapacity, kService), IdString_t(iox::cxx::TruncateToCapacity, instance),
          IdString_t(iox::cxx::TruncateToCapacity, event)};
}

}  // namespace sgn::detail
