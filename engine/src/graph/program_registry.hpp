#pragma once
// The registry the program gave sgn::init: worker processes build their element from
// it (they are the program started again), and pipelines whose options name no
// registry use it. Null until init() ran.

#include "sgn/registry.hpp"

namespace sgn::detail {

Registry* program_registry() noexcept;
void set_program_registry(Registry& registry) noexcept;

}  // namespace sgn::detail
