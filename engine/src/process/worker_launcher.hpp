#pragma once
// Starting worker processes. The iceoryx runtime cannot survive a fork, so a
// worker is a fresh process: this program re-executed (/proc/self/exe) with
// `--sgn-worker FD MAIN_PID`, where FD carries its WorkerSpec. The program's main
// must call sgn::init(argc, argv, registry) first thing (see sgn/init.hpp).

#include <sys/types.h>

#include <capnp/message.h>

#include <string>

namespace sgn::detail {

/// The worker's inherited descriptors: its spec, and the eventfd that wakes the
/// main process's supervisor after the worker published a status.
constexpr int kWorkerSpecFd = 3;
constexpr int kWorkerWakeFd = 4;

struct LaunchedWorker {
  pid_t pid = -1;
  int pidfd = -1;  // readable when the process ends
};

/// Starts a worker for `spec` (a WorkerSpec message) in a process group of its own:
/// the terminal's and the group's signals (Ctrl+C, Ctrl+Z, kill -TERM -PGID) reach
/// the main process only, which coordinates the workers. It inherits nothing but
/// its spec and `wake_fd`.
LaunchedWorker launch_worker(capnp::MessageBuilder& spec, const std::string& element, int wake_fd);

}  // namespace sgn::detail
