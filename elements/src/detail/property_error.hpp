#pragma once
// PropertyError for checks that span properties or values, worded like the engine's.

#include <fmt/format.h>
#include <sgn/element.hpp>
#include <sgn/error.hpp>

#include <string>

namespace sgn::elements::detail {

[[noreturn]] inline void throw_property_error(const ElementArgs& args, const std::string& what) {
  throw PropertyError(fmt::format("element '{}' ({}): {}", args.name, args.type_name, what));
}

}  // namespace sgn::elements::detail
