#include "sgn/placement.hpp"

namespace sgn {

std::string_view to_string(Placement placement) {
  switch (placement) {
    case Placement::Main: return "main";
    case Placement::Thread: return "thread";
    case Placement::Process: return "process";
  }
  return "?";
}

std::optional<Placement> parse_placement(std::string_view text) {
  if (text == "main") return Placement::Main;
  if (text == "thread") return Placement::Thread;
  if (text == "process") return Placement::Process;
  return std::nullopt;
}

}  // namespace sgn
