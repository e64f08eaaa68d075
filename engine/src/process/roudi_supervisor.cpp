#include "process/roudi_supervisor.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <poll.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "process/shm_segment.hpp"
#include "sgn/error.hpp"
#include "sgn/logging.hpp"

extern char** environ;

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

namespace {

bool pidfd_exited(int pidfd) {
  if (pidfd < 0) return false;
  pollfd fd{pidfd, POLLIN, 0};
  if (::poll(&fd, 1, 0) <= 0) return false;
  return (fd.revents & POLLIN) != 0;
}

void write_pid_file(const std::string& path, pid_t pid) {
  const std::string text = std::to_string(pid) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  [[maybe_unused]] const ssize_t written = ::write(fd, text.data(), text.size());
  ::close(fd);
}

pid_t read_pid_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char text[32] = {};
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  return n > 0 ? static_cast<pid_t>(std::atol(text)) : -1;
}

// Starts iox-roudi in a session of its own (Ctrl+C in our terminal does not
// reach it, and it outlives us for other users). posix_spawn rather than fork:
// no fork handlers run in a process that already has threads.
pid_t spawn_detached(char** argv) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);  // its banner
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // nothing of ours leaks into RouDi
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int error = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    errno = error;
    return -1;
  }
  return pid;
}

// Byte 0 of the users file, as an open-file-description lock (independent of the
// flock on the same file), serialises starting RouDi between sgn processes.
bool set_start_lock(int fd, short type) {
  struct flock range{};
  range.l_type = type;
  range.l_whence = SEEK_SET;
  range.l_start = 0;
  range.l_len = 1;
  return ::fcntl(fd, F_OFD_SETLK, &range) == 0;
}

// What the fatal-signal path needs, readable without locks.
std::atomic<int> g_users_fd{-1};
std::atomic<pid_t> g_engine_roudi{-1};

}  // namespace

void roudi_emergency_stop() noexcept {
  const int fd = g_users_fd.load();
  const pid_t pid = g_engine_roudi.load();
  if (fd < 0 || pid <= 0) return;
  ::flock(fd, LOCK_UN);
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) ::kill(pid, SIGTERM);
}

RoudiSupervisor::~RoudiSupervisor() { stop(); }

bool RoudiSupervisor::join_users(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (users_fd_ < 0) users_fd_ = ::open(paths_.users_lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (users_fd_ < 0) return false;
    // Another process holds it exclusively only while it stops its RouDi.
    while (::flock(users_fd_, LOCK_SH | LOCK_NB) != 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // The last user unlinks the file after stopping RouDi: a lock on the file it
    // unlinked would be shared with nobody who comes later. Lock the file in place.
    struct stat locked{}, named{};
    if (::fstat(users_fd_, &locked) == 0 && ::stat(paths_.users_lock.c_str(), &named) == 0 &&
        locked.st_dev == named.st_dev && locked.st_ino == named.st_ino) {
      g_users_fd.store(users_fd_);
      return true;
    }
    ::close(users_fd_);
    users_fd_ = -1;
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
}

bool RoudiSupervisor::lock_start(std::chrono::steady_clock::time_point deadline) {
  while (!set_start_lock(users_fd_, F_WRLCK)) {
    if (errno != EAGAIN && errno != EACCES && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void RoudiSupervisor::unlock_start() noexcept {
  if (users_fd_ >= 0) set_start_lock(users_fd_, F_UNLCK);  // stop() closing the file released it
}

void RoudiSupervisor::adopt_engine_roudi() {
  const pid_t pid = read_pid_file(paths_.engine_pid);
  if (pid <= 0 || ::kill(pid, 0) != 0) return;
  std::string command;
  std::getline(std::ifstream("/proc/" + std::to_string(pid) + "/comm"), command);
  if (command != "iox-roudi") return;  // a stale file whose pid was reused
  if (pidfd_ >= 0) ::close(pidfd_);
  pid_ = pid;
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  g_engine_roudi.store(pid_);
}

void RoudiSupervisor::ensure_running(const std::string& config_file, std::size_t shm_bytes,
                                     std::chrono::milliseconds timeout) {
  if ((started_ || attached_) && alive()) return;
  if (started_ || attached_) {
    throw Error("the RouDi this process used has gone; a new one is not started under live workers");
  }
  auto log = logger("roudi");
  // Uses a running RouDi; if the engine started it, as its last user this process may stop it.
  const auto attach = [&](const char* whose) {
    attached_ = true;
    adopt_engine_roudi();
    log->info("attached to {}", whose);
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!join_users(timeout)) throw Error("another process is stopping RouDi and did not finish in time");
  if (roudi_answers(paths_)) {
    attach("the RouDi already running on this machine");
    return;
  }
  // One sgn process starts RouDi; the others wait here and then attach to it.
  const auto other_starter_too_slow = [&] {
    return Error(fmt::format("another process was starting RouDi and it did not answer within {} ms", timeout.count()));
  };
  if (!lock_start(deadline)) throw other_starter_too_slow();
  struct StartLock {
    RoudiSupervisor& self;
    ~StartLock() { self.unlock_start(); }
  } start_lock{*this};
  if (roudi_answers(paths_)) {
    attach("the RouDi another process started");
    return;
  }
  if (std::chrono::steady_clock::now() >= deadline) throw other_starter_too_slow();
  for (const auto& file : remove_stale_roudi_files(paths_)) log->warn("removed stale iceoryx file {}", file);
  if (const std::size_t free = shm_free_bytes(); free < shm_bytes) {
    throw Error(fmt::format("/dev/shm has {} MiB free, but RouDi's mempools ({}) need {} MiB; free some or use "
                            "a smaller config (SGN_ROUDI_CONFIG)",
                            free >> 20, config_file, shm_bytes >> 20));
  }

  std::string exe = "iox-roudi";
  std::string config_flag = "-c";
  std::string config = config_file;
  std::string level_flag = "-l";
  std::string level = "warning";
  char* argv[] = {exe.data(), config_flag.data(), config.data(), level_flag.data(), level.data(), nullptr};
  const pid_t pid = spawn_detached(argv);
  if (pid < 0) {
    throw Error(fmt::format("cannot start iox-roudi: {} (is the 'iceoryx' package installed and on PATH?)",
                            std::strerror(errno)));
  }
  pid_ = pid;
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  while (std::chrono::steady_clock::now() < deadline) {
    if (pidfd_exited(pidfd_)) {
      int status = 0;
      const bool reaped = ::waitpid(pid_, &status, WNOHANG) == pid_;
      ::close(pidfd_);
      pidfd_ = -1;
      pid_ = -1;
      // A RouDi started outside sgn at the same moment holds the lock: use that one.
      while (roudi_lock_held(paths_) && std::chrono::steady_clock::now() < deadline) {
        if (roudi_answers(paths_)) {
          attach("a RouDi started elsewhere at the same time");
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      throw Error(fmt::format("iox-roudi exited at start ({}; is the config '{}' valid?)",
                              reaped && WIFEXITED(status)     ? fmt::format("status {}", WEXITSTATUS(status))
                              : reaped && WIFSIGNALED(status) ? fmt::format("signal {}", WTERMSIG(status))
                                                              : std::string("status unknown"),
                              config_file));
    }
    if (roudi_answers(paths_)) {
      started_ = true;
      g_engine_roudi.store(pid_);
      write_pid_file(paths_.engine_pid, pid_);
      log->info("started RouDi (pid {}) with {}", pid_, config_file);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  started_ = true;
  stop();
  throw Error(fmt::format("iox-roudi did not become ready within {} ms", timeout.count()));
}

bool RoudiSupervisor::alive() {
  if (dead_) return false;
  if (!started_ && !attached_) return false;  // none in use yet
  if (pidfd_ >= 0 ? pidfd_exited(pidfd_) : !roudi_answers(paths_)) dead_ = true;
  return !dead_;
}

void RoudiSupervisor::stop(std::chrono::milliseconds grace) noexcept {
  const RoudiPaths& paths = paths_;
  if (users_fd_ < 0) return;
  g_users_fd.store(-1);
  g_engine_roudi.store(-1);
  // The last user (the exclusive lock is free) stops an engine-started RouDi.
  ::flock(users_fd_, LOCK_UN);
  const bool last = ::flock(users_fd_, LOCK_EX | LOCK_NB) == 0;
  // A process that attached while another was starting RouDi may have come
  // before the starter wrote the pid file: look again.
  if (last && attached_ && pid_ <= 0) adopt_engine_roudi();
  if (last && pid_ > 0) {
    bool clean = true;
    if (!pidfd_exited(pidfd_)) {
      ::kill(pid_, SIGTERM);
      const auto deadline = std::chrono::steady_clock::now() + grace;
      while (!pidfd_exited(pidfd_) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (!pidfd_exited(pidfd_)) {
        clean = false;
        ::kill(pid_, SIGKILL);
        while (!pidfd_exited(pidfd_)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    } else {
      clean = false;  // it died on its own
    }
    ::waitpid(pid_, nullptr, WNOHANG);  // reap it if it is our child
    ::unlink(paths.engine_pid.c_str());
    // A RouDi that died, was killed, or aborted on its way out leaves its files behind.
    if (!clean || std::ifstream(paths.management_shm).good()) remove_stale_roudi_files(paths);
  }
  if (last) ::unlink(paths.users_lock.c_str());
  ::close(users_fd_);
  users_fd_ = -1;
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pid_ = -1;
  started_ = attached_ = false;
}

}  // namespace sgn::detail
