#pragma once
/// "Did you mean": the candidate closest to a mistyped name, for error messages
/// about unknown element types, elements, pads, properties and values.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sgn {

/// Levenshtein distance between `a` and `b` (in bytes).
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The candidate within a few edits of `unknown` (about a third of its length, at
/// least 2), the first of the closest; "" when none is that close.
std::string closest_name(std::string_view unknown, const std::vector<std::string>& candidates);

}  // namespace sgn
