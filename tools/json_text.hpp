#pragma once
// Text in the JSON documents of sgn-launch and sgn-inspect.

#include <string>
#include <string_view>

namespace sgn::detail {

/// `text` as a JSON string literal, quotes included (control bytes as \uXXXX).
std::string json_string(std::string_view text);

}  // namespace sgn::detail
