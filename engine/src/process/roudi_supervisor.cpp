#include "process/roudi_supervisor.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "sgn/error.hpp"
#include "sgn/logging.hpp"

namespace sgn::detail {

bool roudi_answers(const RoudiPaths& paths) {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, paths.socket.c_str(), sizeof address.sun_path - 1);
  const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::close(fd);
  return rc == 0;
}

bool roudi_lock_held(const RoudiPaths& paths) {
  const int fd = ::open(paths.unique_lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the lock if we took it
  return held;
}

std::vector<std::string> remove_stale_roudi_files(const RoudiPaths& paths) {
  std::vector<std::string> removed;
  if (roudi_lock_held(paths)) return removed;  // a live RouDi owns them
  std::vector<std::string> files{paths.management_shm, paths.socket, paths.socket_lock, paths.unique_lock};
  files.insert(files.end(), paths.data_shm.begin(), paths.data_shm.end());
  for (const auto& file : files) {
    if (::unlink(file.c_str()) == 0) removed.push_back(file);
  }
  return removed;
}

RoudiSupervisor::~RoudiSupervisor() { stop(); }

void RoudiSupervisor::ensure_running(const std::string& config_file, std::chrono::milliseconds timeout) {
  if ((pid_ > 0 && alive()) || (attached_ && roudi_answers())) return;
  if (pid_ > 0 || attached_) {
    throw Error("the RouDi this process used has gone; a new one is not started under live workers");
  }
  auto log = logger("roudi");
  if (roudi_answers()) {
    attached_ = true;
    log->info("attached to the RouDi already running on this machine");
    return;
  }
  for (const auto& file : remove_stale_roudi_files()) log->warn("removed stale iceoryx file {}", file);

  std::string exe = "iox-roudi";
  std::string config_flag = "-c";
  std::string config = config_file;
  std::string level_flag = "-l";
  std::string level = "warning";
  char* argv[] = {exe.data(), config_flag.data(), config.data(), level_flag.data(), level.data(), nullptr};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(fmt::format("cannot start iox-roudi: fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // RouDi cleans up on SIGTERM
    if (::getppid() != parent) ::_exit(127);
    ::syscall(SYS_close_range, 3, ~0U, 0);  // nothing of ours leaks into RouDi
    ::signal(SIGINT, SIG_IGN);  // Ctrl+C reaches the whole group: the engine decides when RouDi stops
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp(exe.c_str(), argv);
    ::_exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        throw Error("cannot start iox-roudi: not found on PATH (install the 'iceoryx' package)");
      }
      throw Error(fmt::format("iox-roudi exited at start ({} {}); is another RouDi starting, or is the config "
                              "'{}' invalid?",
                              WIFEXITED(status) ? "status" : "signal",
                              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), config_file));
    }
    if (roudi_answers()) {
      log->info("started RouDi (pid {}) with {}", pid_, config_file);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  stop();
  throw Error(fmt::format("iox-roudi did not become ready within {} ms", timeout.count()));
}

bool RoudiSupervisor::alive() {
  if (dead_) return false;
  if (pid_ > 0) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      dead_ = true;
      return false;
    }
    return true;
  }
  if (attached_ && !roudi_answers()) dead_ = true;
  return !dead_;
}

void RoudiSupervisor::stop(std::chrono::milliseconds grace) noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  remove_stale_roudi_files();  // a killed RouDi leaves its files behind
}

}  // namespace sgn::detail
