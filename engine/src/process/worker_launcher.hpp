#pragma once
// Starting worker processes. The iceoryx runtime cannot survive a fork, so a
// worker is a fresh process: this program re-executed (/proc/self/exe) with
// `--sgn-worker FD`, where FD is a pipe carrying its WorkerSpec. The program's
// main must call sgn::init(argc, argv) first thing (see sgn/init.hpp).

#include <sys/types.h>

#include <capnp/message.h>

#include <string>

namespace sgn::detail {

struct LaunchedWorker {
  pid_t pid = -1;
  int pidfd = -1;  // readable when the process ends
};

/// Starts a worker for `spec` (a WorkerSpec message). The child ignores SIGINT,
/// gets SIGKILL when this process dies, and inherits nothing else but the pipe.
LaunchedWorker launch_worker(capnp::MessageBuilder& spec, const std::string& element);

/// True once sgn::init() has run in this process.
bool worker_entry_installed() noexcept;
void mark_worker_entry_installed() noexcept;

}  // namespace sgn::detail
