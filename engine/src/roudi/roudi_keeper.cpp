#include "roudi/roudi_keeper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "roudi/run_record.hpp"

extern char** environ;

namespace sgn::detail {

bool socket_answers(const char* path) noexcept {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::size_t n = 0;
  for (; path[n] != '\0' && n < sizeof address.sun_path - 1; ++n) address.sun_path[n] = path[n];
  if (path[n] != '\0') return false;  // too long for a socket address
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool answers = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return answers;
}

bool unique_lock_held(const char* path) noexcept {
  const int fd = ::open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return errno != ENOENT;  // a link, or not ours to open: assume a RouDi holds it
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the lock if we took it
  return held;
}

bool remove_if_ours(const char* path) noexcept {
  struct stat st {};
  if (::fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) return false;
  return ::unlink(path) == 0;
}

namespace {

// ---- From here on, code that runs in the keeper: async-signal-safe only. ----

volatile sig_atomic_t g_stop_requested = 0;
extern "C" void on_stop_request(int) { g_stop_requested = 1; }
extern "C" void on_wake_up(int) {}  // SIGCHLD and the timer only interrupt flock()

long long now_ms() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

void sleep_ms(long ms) noexcept {
  timespec pause{ms / 1000, (ms % 1000) * 1000000L};
  ::nanosleep(&pause, nullptr);
}

void set_handler(int signal_number, void (*handler)(int)) noexcept {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = signal_number == SIGCHLD ? SA_NOCLDSTOP : 0;  // no SA_RESTART: flock() returns EINTR
  ::sigaction(signal_number, &action, nullptr);
}

// Every disposition back to the default (a handler of the process we were forked
// from must never run here); signals stay blocked until the caller unblocks them.
void default_all_signals() noexcept {
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
    if (signal_number != SIGKILL && signal_number != SIGSTOP) set_handler(signal_number, SIG_DFL);
  }
}

void unblock_all_signals() noexcept {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Closes every descriptor from 3 up but those in `keep` (-1 entries are ignored).
void close_all_but(int* keep, int count) noexcept {
  for (int i = 1; i < count; ++i) {  // insertion sort: a handful of entries
    for (int j = i; j > 0 && keep[j] < keep[j - 1]; --j) {
      const int swap = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = swap;
    }
  }
  unsigned next = 3;
  for (int i = 0; i < count; ++i) {
    if (keep[i] < static_cast<int>(next)) continue;
    if (static_cast<unsigned>(keep[i]) > next) ::syscall(SYS_close_range, next, keep[i] - 1U, 0U);
    next = static_cast<unsigned>(keep[i]) + 1;
  }
  ::syscall(SYS_close_range, next, ~0U, 0U);
}

// The pid at the start of roudi.pid: kAbsent if there is none, 0 if unreadable.
constexpr long kAbsent = -1;
long recorded_roudi_pid(int rundir_fd) noexcept {
  const int fd = ::openat(rundir_fd, kEnginePidFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? kAbsent : 0;
  char text[64];
  const ssize_t n = ::read(fd, text, sizeof text);
  ::close(fd);
  long pid = 0;
  for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; ++i) pid = pid * 10 + (text[i] - '0');
  return pid;
}

// What a keeper needs, with every pointer array built before the fork.
struct Prepared {
  const KeeperPlan& plan;
  char* const* argv;
  const char* const* iceoryx_files;
  std::size_t iceoryx_file_count;
  int null_fd;
  int report_fd;
};

class Keeper {
 public:
  explicit Keeper(const Prepared& prepared) noexcept : p_(prepared), plan_(prepared.plan) {}

  [[noreturn]] void run() noexcept {
    become_daemon();
    if (plan_.roudi_pidfd >= 0) {
      roudi_ = plan_.roudi_pid;
      pidfd_ = plan_.roudi_pidfd;
    } else {
      start_roudi();
      wait_until_ready();
    }
    report(KeeperReport::kReady, 0);
    ::close(p_.report_fd);
    guard();
  }

 private:
  void become_daemon() noexcept {
    // The first child called setsid(): this one is in a session of its own but
    // not its leader, so it can never get a controlling terminal.
    ::prctl(PR_SET_NAME, kKeeperName, 0, 0, 0);
    default_all_signals();  // all blocked since before the fork
    for (int ignored : {SIGINT, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE}) set_handler(ignored, SIG_IGN);
    set_handler(SIGTERM, on_stop_request);
    set_handler(SIGCHLD, on_wake_up);
    set_handler(SIGALRM, on_wake_up);
    unblock_all_signals();
    // Not the user's terminal or pipes: a reader of our starter's output must see its end.
    const int out = plan_.log_fd >= 0 ? plan_.log_fd : p_.null_fd;
    ::dup2(p_.null_fd, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    int keep[] = {p_.report_fd, plan_.rundir_fd, plan_.users_fd, plan_.roudi_pidfd};
    close_all_but(keep, 4);  // above all the starter's users fd (its shared lock) and run record
  }

  void report(std::int32_t kind, std::int32_t detail) noexcept {
    KeeperReport message;
    message.kind = kind;
    message.roudi_pid = roudi_;
    message.keeper_pid = ::getpid();
    message.detail = detail;
    [[maybe_unused]] const ssize_t n = ::write(p_.report_fd, &message, sizeof message);
  }

  void start_roudi() noexcept {
    int exec_error[2];
    if (::pipe2(exec_error, O_CLOEXEC) != 0) {
      report(KeeperReport::kExecFailed, errno);
      ::_exit(1);
    }
    const pid_t pid = ::_Fork();
    if (pid == 0) {
      sigset_t all;
      sigfillset(&all);
      ::sigprocmask(SIG_SETMASK, &all, nullptr);
      default_all_signals();
      unblock_all_signals();
      ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);  // RouDi gets 0, 1 and 2 only
      ::execve(p_.argv[0], p_.argv, environ);
      const int error = errno;
      [[maybe_unused]] const ssize_t n = ::write(exec_error[1], &error, sizeof error);
      ::_exit(127);
    }
    ::close(exec_error[1]);
    if (pid < 0) {
      report(KeeperReport::kExecFailed, errno);
      ::_exit(1);
    }
    int error = 0;
    ssize_t n;
    do {
      n = ::read(exec_error[0], &error, sizeof error);  // end of file once exec succeeded
    } while (n < 0 && errno == EINTR);
    ::close(exec_error[0]);
    if (n == static_cast<ssize_t>(sizeof error)) {
      ::waitpid(pid, nullptr, 0);
      report(KeeperReport::kExecFailed, error);
      ::_exit(0);
    }
    roudi_ = pid;
    roudi_is_child_ = true;
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    report(KeeperReport::kSpawned, 0);
  }

  void wait_until_ready() noexcept {
    const long long give_up = now_ms() + plan_.ready_limit.count() + 5000;
    for (;;) {
      int status = 0;
      if (::waitpid(roudi_, &status, WNOHANG) == roudi_) {
        roudi_is_child_ = false;  // reaped
        if (starter_gave_up()) finish(false, false);
        report(KeeperReport::kExited, status);  // the starter cleans up: it holds the start lock
        ::_exit(0);
      }
      if (socket_answers(plan_.socket.c_str())) return;
      if (g_stop_requested || now_ms() > give_up) {
        report(KeeperReport::kStopped, g_stop_requested ? SIGTERM : 0);
        finish(true, false);
      }
      if (starter_gave_up()) finish(true, false);
      sleep_ms(2);
    }
  }

  // The starter closed its end of the report pipe (it gave up, or died): the
  // keeper cleans up alone. A starter closes it before it stops RouDi itself.
  bool starter_gave_up() noexcept {
    pollfd starter{p_.report_fd, POLLOUT, 0};
    return ::poll(&starter, 1, 0) > 0 && (starter.revents & POLLERR) != 0;
  }

  bool roudi_gone() noexcept {
    if (pidfd_ < 0) return ::kill(roudi_, 0) != 0 && errno == ESRCH;
    pollfd exited{pidfd_, POLLIN, 0};
    return ::poll(&exited, 1, 0) > 0;
  }

  [[noreturn]] void guard() noexcept {
    // SIGCHLD interrupts flock() when our RouDi dies; the timer covers an adopted
    // RouDi (no SIGCHLD) and a death just before flock() was entered.
    const itimerval tick{{0, 200000}, {0, 200000}};
    ::setitimer(ITIMER_REAL, &tick, nullptr);
    for (;;) {
      if (g_stop_requested) finish(true, false);
      if (roudi_gone()) finish(false, false);
      if (::flock(plan_.users_fd, LOCK_EX) == 0) finish(true, true);  // the last user is gone
      if (errno != EINTR) sleep_ms(200);
    }
  }

  [[noreturn]] void finish(bool stop_roudi, bool last_user_gone) noexcept {
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, nullptr);
    const itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    if (stop_roudi) {
      if (pidfd_ >= 0) {
        ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0U);
      } else if (roudi_is_child_) {
        ::kill(roudi_, SIGKILL);
      }
    }
    if (pidfd_ >= 0) {
      pollfd exited{pidfd_, POLLIN, 0};
      ::poll(&exited, 1, 5000);
    }
    if (roudi_is_child_) ::waitpid(roudi_, nullptr, pidfd_ >= 0 ? WNOHANG : 0);
    clean_up();
    if (!last_user_gone) reap_after_last_user();
    reap_the_dying();
    ::_exit(0);
  }

  // A user's lock on roudi.users may go a moment before its run record's (a
  // dying process's descriptors are closed one by one; a normal exit leaves
  // RouDi before it ends): for up to 1 s, records still locked are looked at
  // again, so the last users' files do not outlive them. Holds no lock meanwhile.
  void reap_the_dying() noexcept {
    if (g_stop_requested) return;
    ::flock(plan_.users_fd, LOCK_UN);
    for (int pass = 0; pass < 100; ++pass) {
      int live = 0;
      reap_dead_runs_at(plan_.rundir_fd, plan_.shm_dir.c_str(), plan_.tmp_dir.c_str(), nullptr, nullptr, &live);
      if (live == 0) return;
      sleep_ms(10);
    }
  }

  // RouDi is gone, but processes that used it may live on; what they leave when
  // they end (iceoryx files, segments: their exit cannot count on a RouDi) is
  // reaped once the last of them is gone. Holders of the users file from now on
  // are only those: it was unlinked, or a newer keeper owns it (and a pending
  // LOCK_EX never holds back their shared locks). SIGTERM ends the wait.
  void reap_after_last_user() noexcept {
    if (g_stop_requested) return;
    const itimerval tick{{1, 0}, {1, 0}};  // a SIGTERM just before flock() is seen within 1 s
    ::setitimer(ITIMER_REAL, &tick, nullptr);
    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, SIGTERM);
    sigaddset(&wake, SIGALRM);
    ::sigprocmask(SIG_UNBLOCK, &wake, nullptr);
    while (!g_stop_requested) {
      if (::flock(plan_.users_fd, LOCK_EX) == 0) {
        reap_dead_runs_at(plan_.rundir_fd, plan_.shm_dir.c_str(), plan_.tmp_dir.c_str());
        return;
      }
      if (errno != EINTR) return;
    }
  }

  // Under the start lock, and only while roudi.users is the file we locked and
  // roudi.pid names our RouDi or none: a newer start's files are left alone.
  void clean_up() noexcept {
    struct flock start_lock {};
    start_lock.l_type = F_WRLCK;
    start_lock.l_whence = SEEK_SET;
    start_lock.l_len = 1;
    const long long give_up = now_ms() + 30000;  // a starter holds it up to its start limit
    while (::fcntl(plan_.users_fd, F_OFD_SETLK, &start_lock) != 0) {
      if (now_ms() > give_up) return;
      sleep_ms(5);
    }
    const long recorded = recorded_roudi_pid(plan_.rundir_fd);
    if (fd_names_same_file(plan_.users_fd, plan_.rundir_fd, kUsersFile) &&
        (recorded == kAbsent || recorded == roudi_)) {
      for (const char* name : {kEnginePidFile, kConfigFile, kLogFile}) ::unlinkat(plan_.rundir_fd, name, 0);
      if (!unique_lock_held(plan_.unique_lock.c_str())) {
        for (std::size_t i = 0; i < p_.iceoryx_file_count; ++i) remove_if_ours(p_.iceoryx_files[i]);
      }
      reap_dead_runs_at(plan_.rundir_fd, plan_.shm_dir.c_str(), plan_.tmp_dir.c_str());
      ::unlinkat(plan_.rundir_fd, kUsersFile, 0);
    }
    start_lock.l_type = F_UNLCK;  // those waiting for it must not wait for our end
    ::fcntl(plan_.users_fd, F_OFD_SETLK, &start_lock);
  }

  const Prepared& p_;
  const KeeperPlan& plan_;
  pid_t roudi_ = -1;
  int pidfd_ = -1;
  bool roudi_is_child_ = false;
};

// `fd`, or a copy of it above 0..2 (kept in `holder`): the keeper makes those its stdio.
int above_stdio(int fd, UniqueFd& holder) {
  if (fd < 0 || fd > STDERR_FILENO) return fd;
  holder.reset(::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1));
  if (!holder) throw posix_error("fcntl(F_DUPFD_CLOEXEC)", "RouDi keeper descriptor", errno);
  return holder.get();
}

}  // namespace

UniqueFd launch_keeper(const KeeperPlan& original) {
  KeeperPlan plan = original;  // descriptors moved above stdio, if need be
  UniqueFd holders[4];
  plan.rundir_fd = above_stdio(plan.rundir_fd, holders[0]);
  plan.users_fd = above_stdio(plan.users_fd, holders[1]);
  plan.log_fd = above_stdio(plan.log_fd, holders[2]);
  plan.roudi_pidfd = above_stdio(plan.roudi_pidfd, holders[3]);

  std::vector<char*> argv;
  for (const auto& argument : plan.command) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  std::vector<const char*> files;
  for (const auto& file : plan.iceoryx_files) files.push_back(file.c_str());

  UniqueFd null_holder;
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd) throw posix_error("open", "/dev/null", errno);
  const int null_above = above_stdio(null_fd.get(), null_holder);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) throw posix_error("pipe2", "RouDi keeper report", errno);
  UniqueFd read_end(report[0]);
  UniqueFd write_end(report[1]);
  UniqueFd write_holder;
  const int write_above = above_stdio(write_end.get(), write_holder);
  const Prepared prepared{plan, argv.data(), files.data(), files.size(), null_above, write_above};

  // Forked with every signal blocked: no handler of this process may run in the
  // children before the keeper has reset them all.
  sigset_t all, old_mask;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  const pid_t middle = ::fork();
  const int fork_error = errno;
  if (middle != 0) ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (middle < 0) throw posix_error("fork", "RouDi keeper", fork_error);
  if (middle == 0) {
    // A child of a threaded process: async-signal-safe calls only from here on.
    ::setsid();
    const pid_t keeper = ::_Fork();
    if (keeper == 0) Keeper(prepared).run();
    ::_exit(keeper < 0 ? 1 : 0);
  }
  write_end.reset();
  write_holder.reset();
  int status = 0;
  pid_t waited;
  do {
    waited = ::waitpid(middle, &status, 0);  // it exits at once
  } while (waited < 0 && errno == EINTR);
  if (waited == middle && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    throw Error("cannot start the RouDi keeper: its first child could not fork");
  }
  return read_end;
}

}  // namespace sgn::detail
