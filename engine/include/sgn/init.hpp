#pragma once
/// Process-mode entry point. A program that runs elements with placement
/// `process` calls sgn::init(argc, argv) first thing in main(), after registering
/// its own element types: worker processes are this same program started again,
/// and init() turns such a start into the worker (it never returns there).

namespace sgn {

/// In a worker start: runs the worker and exits. Otherwise returns at once.
void init(int argc, char** argv);

}  // namespace sgn
