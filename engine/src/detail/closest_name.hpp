#pragma once
// "Did you mean": the candidate closest to a mistyped name.

#include <string>
#include <string_view>
#include <vector>

namespace sgn::detail {

/// Levenshtein distance.
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The candidate within a few edits of `unknown` (about a third of its length), or "".
std::string closest_name(std::string_view unknown, const std::vector<std::string>& candidates);

}  // namespace sgn::detail
