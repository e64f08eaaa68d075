#include "process/worker_launcher.hpp"

#include <capnp/serialize.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/posix_error.hpp"
#include "graph/program_registry.hpp"
#include "sgn/error.hpp"

extern char** environ;

namespace sgn::detail {
namespace {

/// A descriptor above the worker's fixed ones, so dup2()ing onto 3 and 4 in turn
/// never overwrites the other source. The caller closes it (it is close-on-exec).
int above_worker_fds(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, kWorkerWakeFd + 1); }

/// posix_spawn rather than fork: no fork handlers run in this threaded process.
/// The worker sets its own parent-death signal and dispositions in sgn::init.
int spawn_worker(const char* exe, const std::string& element, int spec_fd, int wake_fd, pid_t& pid) {
  std::string fd_text = std::to_string(kWorkerSpecFd);
  std::string flag = "--sgn-worker";
  std::string parent_text = std::to_string(::getpid());
  std::string tag = "sgn-worker:" + element;  // shows in ps
  char* argv[] = {tag.data(), flag.data(), fd_text.data(), parent_text.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_adddup2(&actions, spec_fd, kWorkerSpecFd);  // the copies are not close-on-exec
  posix_spawn_file_actions_adddup2(&actions, wake_fd, kWorkerWakeFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, kWorkerWakeFd + 1);  // iceoryx's fds are not close-on-exec
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);  // none of this process's handlers or ignores carries over
  for (int s = 1; s < NSIG; ++s) {
    if (s != SIGKILL && s != SIGSTOP) sigaddset(&defaults, s);
  }
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setpgroup(&attributes, 0);  // a process group of its own
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  const int error = ::posix_spawn(&pid, exe, &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return error;
}

}  // namespace


LaunchedWorker launch_worker(capnp::MessageBuilder& spec, const std::string& element, int wake_fd) {
  if (!program_registry()) {
    throw Error(fmt::format("element '{}' has placement 'process', but this program did not call "
                            "sgn::init(argc, argv, registry) at the top of main()",
                            element));
  }
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    throw posix_error("readlink", fmt::format("/proc/self/exe, to start worker '{}'", element), errno);
  }
  exe[n] = '\0';
  int fds[2];  // a socket pair rather than a pipe: send() with MSG_NOSIGNAL cannot raise SIGPIPE
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw posix_error("socketpair", fmt::format("worker '{}'", element), errno);
  }
  const int spec_fd = above_worker_fds(fds[0]);
  const int high_wake_fd = above_worker_fds(wake_fd);
  const int dup_errno = errno;
  ::close(fds[0]);
  pid_t pid = -1;
  const int error = spec_fd < 0 || high_wake_fd < 0 ? dup_errno : spawn_worker(exe, element, spec_fd, high_wake_fd, pid);
  if (spec_fd >= 0) ::close(spec_fd);
  if (high_wake_fd >= 0) ::close(high_wake_fd);
  if (error != 0) {
    ::close(fds[1]);
    throw Error(fmt::format("starting the worker process of element '{}': {}", element, std::strerror(error)));
  }
  LaunchedWorker worker;
  worker.pid = pid;
  worker.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (worker.pidfd < 0) {
    const int err = errno;
    ::kill(pid, SIGKILL);  // not yet past its first instructions: nothing of iceoryx's is held
    ::waitpid(pid, nullptr, 0);
    ::close(fds[1]);
    throw Error(fmt::format("pidfd_open for the worker of element '{}': {} (Linux 5.3 or later is needed)", element,
                            std::strerror(err)));
  }
  const auto words = capnp::messageToFlatArray(spec);
  const auto bytes = words.asBytes();
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t r = ::send(fds[1], bytes.begin() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;  // the worker died at once: its exit is reported like any other
    sent += static_cast<std::size_t>(r);
  }
  ::close(fds[1]);
  return worker;
}

}  // namespace sgn::detail
