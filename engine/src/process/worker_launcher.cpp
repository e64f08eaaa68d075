#include "process/worker_launcher.hpp"

#include <capnp/serialize.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "sgn/error.hpp"

namespace sgn::detail {
namespace {
std::atomic<bool> g_entry_installed{false};
}

bool worker_entry_installed() noexcept { return g_entry_installed.load(); }
void mark_worker_entry_installed() noexcept { g_entry_installed.store(true); }

LaunchedWorker launch_worker(capnp::MessageBuilder& spec, const std::string& element) {
  if (!worker_entry_installed()) {
    throw Error(fmt::format("element '{}' has placement 'process', but this program did not call "
                            "sgn::init(argc, argv) at the top of main()",
                            element));
  }
  int fds[2];  // a socket pair rather than a pipe: send() with MSG_NOSIGNAL cannot raise SIGPIPE
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw Error(fmt::format("socket pair for worker '{}': {}", element, std::strerror(errno)));
  }
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw Error(fmt::format("cannot find this program's path to start worker '{}'", element));
  }
  exe[n] = '\0';
  const int child_fd = 3;
  std::string fd_text = std::to_string(child_fd);
  std::string flag = "--sgn-worker";
  std::string tag = "sgn-worker:" + element;  // shows in ps
  char* argv[] = {tag.data(), flag.data(), fd_text.data(), nullptr};
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw Error(fmt::format("fork for worker '{}': {}", element, std::strerror(errno)));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::dup2(fds[0], child_fd) < 0) ::_exit(127);  // dup2 clears CLOEXEC on the copy
    ::syscall(SYS_close_range, child_fd + 1, ~0U, 0);  // iceoryx's fds are not close-on-exec
    ::execv(exe, argv);
    ::_exit(127);
  }
  ::close(fds[0]);
  LaunchedWorker worker;
  worker.pid = pid;
  worker.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
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
