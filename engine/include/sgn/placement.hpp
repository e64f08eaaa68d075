#pragma once
/// Where an element runs.

#include <optional>
#include <string_view>

namespace sgn {

enum class Placement {
  Main,     ///< the thread that calls Pipeline::run()
  Thread,   ///< a worker thread of its own
  Process,  ///< a worker process of its own (frames in shared memory)
};

std::string_view to_string(Placement placement);
/// Parses "main", "thread" or "process".
std::optional<Placement> parse_placement(std::string_view text);

}  // namespace sgn
