#pragma once
/// Process-mode entry point. A program that runs elements with placement `process`
/// calls sgn::init(argc, argv, registry) first thing in main(), after registering its
/// element types in `registry`: worker processes are this same program started
/// again, and init() turns such a start into the worker (it never returns there).

#include "sgn/registry.hpp"

namespace sgn {

/// In a worker start: builds the worker's element from `registry`, runs it and
/// exits. Otherwise returns at once, and `registry` becomes the program's: worker
/// processes build their elements from it, and a Pipeline whose options name no
/// registry uses it. `registry` must live as long as the program.
void init(int argc, char** argv, Registry& registry);

}  // namespace sgn
