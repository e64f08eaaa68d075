#include "roudi/roudi_supervisor.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/shm_segment.hpp"
#include "roudi/mempool_table.hpp"
#include "roudi/roudi_keeper.hpp"
#include "roudi/run_record.hpp"
#include "sgn/logging.hpp"

namespace sgn::detail {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kRoudiName[] = "iox-roudi";
// A start slower than this is explained at info level: iceoryx 2.0 writes zeros over
// RouDi's whole segment first (2.8 s for 620 MiB where a page's first touch costs 4.6 us).
constexpr auto kSlowRoudiStart = std::chrono::seconds(1);

bool pidfd_exited(int pidfd) {
  pollfd fd{pidfd, POLLIN, 0};
  return ::poll(&fd, 1, 0) > 0 && (fd.revents & POLLIN) != 0;
}

// SIGKILL through a pidfd (no pid reuse), then up to `limit` for the process to end.
void kill_and_wait(int pidfd, milliseconds limit) {
  ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0U);
  pollfd fd{pidfd, POLLIN, 0};
  ::poll(&fd, 1, static_cast<int>(limit.count()));
}

// A pidfd of `pid`, only if it is (still, once the pidfd exists) the process
// started at `start_time` with that name: a reused pid is never adopted.
UniqueFd pidfd_of(pid_t pid, unsigned long long start_time, std::string_view comm) {
  if (!process_is(pid, start_time, comm)) return {};
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (fd && !process_is(pid, start_time, comm)) fd.reset();
  return fd;
}

// Byte 0 of roudi.users, as an open-file-description lock (independent of the
// flock on the same file), serialises starting RouDi between sgn processes.
bool set_start_lock(int fd, short type) {
  struct flock range {};
  range.l_type = type;
  range.l_whence = SEEK_SET;
  range.l_start = 0;
  range.l_len = 1;
  return ::fcntl(fd, F_OFD_SETLK, &range) == 0;
}

// `name` if it has a slash, else the first executable file of that name on PATH.
std::optional<std::string> find_program(const std::string& name) {
  const auto runnable = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) return runnable(name) ? std::optional(name) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (runnable(candidate)) return candidate;
  }
  return std::nullopt;
}

// The last lines of RouDi's log, to quote in an error.
std::string log_tail(const RuntimeDir& dir) {
  std::optional<std::string> text;
  try {
    text = dir.read_small_file(kLogFile, 1 << 20);
  } catch (const Error&) {
  }
  if (!text || text->empty()) return {};
  std::string tail = text->size() > 600 ? text->substr(text->size() - 600) : *text;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  return fmt::format("; its output ended with: {}", tail);
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("signal {}", WTERMSIG(status));
  return "status unknown";
}

enum class ReportWait { kGot, kEnd, kTimedOut };

}  // namespace

// A bounded wait that checks the caller's cancellation at every step.
class StartWait {
 public:
  StartWait(milliseconds limit, const std::function<bool()>& cancelled)
      : limit_(limit), deadline_(Clock::now() + limit), cancelled_(cancelled) {}
  /// Throws StartCancelled if the caller cancelled; false once past the limit.
  bool still_time() const {
    if (cancelled_ && cancelled_()) throw StartCancelled("process-mode start-up cancelled while waiting for RouDi");
    return Clock::now() < deadline_;
  }
  /// A short sleep (well under the 10 ms cancellation promise), then still_time().
  bool pause() const {
    std::this_thread::sleep_for(milliseconds(5));
    return still_time();
  }
  milliseconds limit() const noexcept { return limit_; }

 private:
  milliseconds limit_;
  Clock::time_point deadline_;
  const std::function<bool()>& cancelled_;
};

namespace {

// The keeper's next report, polled in steps that honour `wait`.
ReportWait read_report(int fd, KeeperReport& report, const StartWait& wait) {
  for (;;) {
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, 10) > 0) {
      const ssize_t n = ::read(fd, &report, sizeof report);
      if (n == static_cast<ssize_t>(sizeof report)) return ReportWait::kGot;
      if (n == 0) return ReportWait::kEnd;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw posix_error("read", "the RouDi keeper's report pipe", errno);
      throw Error(fmt::format("the RouDi keeper sent a report of {} bytes", n));
    }
    if (!wait.still_time()) return ReportWait::kTimedOut;
  }
}

}  // namespace


std::string iceoryx_data_segment_path() {
  // iceoryx names a segment after its writer group, by default RouDi's effective group.
  struct group entry {};
  struct group* found = nullptr;
  char buffer[4096];
  if (::getgrgid_r(::getegid(), &entry, buffer, sizeof buffer, &found) == 0 && found) {
    return std::string("/dev/shm/") + found->gr_name;
  }
  return "/dev/shm/root";
}

std::vector<std::string> iceoryx_files(const RoudiPaths& paths) {
  std::vector<std::string> files{paths.management_shm};
  files.insert(files.end(), paths.data_shm.begin(), paths.data_shm.end());
  files.push_back(paths.socket);
  files.push_back(paths.socket_lock);
  files.push_back(paths.unique_lock);
  return files;
}

bool roudi_answers(const RoudiPaths& paths) { return socket_answers(paths.socket.c_str()); }

bool roudi_lock_held(const RoudiPaths& paths) { return unique_lock_held(paths.unique_lock.c_str()); }

std::vector<std::string> remove_stale_roudi_files(const RoudiPaths& paths) {
  std::vector<std::string> removed;
  if (roudi_lock_held(paths)) return removed;  // a live RouDi owns them
  for (const auto& file : iceoryx_files(paths)) {
    if (remove_if_ours(file.c_str())) removed.push_back(file);
  }
  return removed;
}

void check_iceoryx_paths(const RoudiPaths& paths) {
  for (const auto& file : iceoryx_files(paths)) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      throw Error(fmt::format("iceoryx's fixed path '{}' is a symbolic link owned by {}; iox-roudi would follow "
                              "it, so RouDi is not started. Remove it if you did not make it",
                              file, describe_owner(st.st_uid)));
    }
    if (st.st_uid != ::geteuid()) {
      throw Error(fmt::format("iceoryx's fixed path '{}' belongs to {}, not to us ({}): a RouDi of that user runs or "
                              "crashed (one RouDi per machine). Use that RouDi, or have it stopped and the file "
                              "removed",
                              file, describe_owner(st.st_uid), describe_owner(::geteuid())));
    }
  }
}

pid_t flock_holder(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  std::ifstream locks("/proc/locks");
  // "1: FLOCK  ADVISORY  WRITE 1234 00:2a:5678 0 EOF"; waiters have "->" after the number.
  for (std::string line; std::getline(locks, line);) {
    std::istringstream fields(line);
    std::string number, type, advisory, mode, id;
    long pid = -1;
    fields >> number >> type;
    if (type != "FLOCK") continue;
    fields >> advisory >> mode >> pid >> id;
    unsigned major_number = 0, minor_number = 0;
    unsigned long inode = 0;
    if (std::sscanf(id.c_str(), "%x:%x:%lu", &major_number, &minor_number, &inode) != 3) continue;
    if (major_number == major(st.st_dev) && minor_number == minor(st.st_dev) && inode == st.st_ino && pid > 0) {
      return static_cast<pid_t>(pid);
    }
  }
  return -1;
}

namespace {

struct ProcStat {
  char state = '?';             // field 3: 'Z' for a zombie
  unsigned long long start = 0;  // field 22, in clock ticks since boot
};

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::ifstream stat_file(fmt::format("/proc/{}/stat", pid));
  std::string text;
  if (!std::getline(stat_file, text)) return std::nullopt;
  const auto close = text.rfind(')');  // the name may hold spaces and parentheses
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  ProcStat stat;
  fields >> stat.state;
  std::string skipped;
  for (int number = 4; number < 22 && fields >> skipped; ++number) {
  }
  if (!(fields >> stat.start)) return std::nullopt;
  return stat;
}

}  // namespace

std::optional<unsigned long long> process_start_time(pid_t pid) {
  const auto stat = read_proc_stat(pid);
  return stat ? std::optional(stat->start) : std::nullopt;
}

bool process_is(pid_t pid, unsigned long long start_time, std::string_view comm) {
  if (pid <= 0) return false;
  std::string name;
  std::getline(std::ifstream(fmt::format("/proc/{}/comm", pid)), name);
  if (name != comm) return false;
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  bool ours = false;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream ids(line.substr(4));
    long real = -1, effective = -1;
    ids >> real >> effective;
    ours = effective == static_cast<long>(::geteuid());
    break;
  }
  const auto stat = read_proc_stat(pid);
  return ours && stat && stat->start == start_time && stat->state != 'Z' && stat->state != 'X';
}

std::optional<EngineRecord> EngineRecord::parse(std::string_view text) {
  EngineRecord record;
  std::istringstream fields{std::string(text)};
  if (!(fields >> record.roudi_pid >> record.roudi_start >> record.keeper_pid >> record.keeper_start)) {
    return std::nullopt;
  }
  return record;
}

std::string EngineRecord::text() const {
  return fmt::format("{} {}\n{} {}\n", roudi_pid, roudi_start, keeper_pid, keeper_start);
}

bool EngineRecord::roudi_alive() const { return process_is(roudi_pid, roudi_start, kRoudiName); }

bool EngineRecord::keeper_alive() const { return process_is(keeper_pid, keeper_start, kKeeperName); }

RoudiSupervisor::RoudiSupervisor(RoudiPaths paths) : paths_(std::move(paths)) {}

RoudiSupervisor::~RoudiSupervisor() { leave(); }

const RuntimeDir& RoudiSupervisor::runtime_dir() {
  if (!dir_) dir_ = paths_.runtime_dir.empty() ? RuntimeDir::open_default() : RuntimeDir::open(paths_.runtime_dir);
  return *dir_;
}

bool RoudiSupervisor::join_users(milliseconds timeout) { return join_users(StartWait(timeout, {})); }

bool RoudiSupervisor::join_users(const StartWait& wait) {
  const RuntimeDir& dir = runtime_dir();
  for (;;) {
    UniqueFd fd = dir.open_file(kUsersFile, O_RDWR | O_CREAT, 0600);
    // Exclusive only while a keeper tears its RouDi down.
    while (::flock(fd.get(), LOCK_SH | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) throw posix_error("flock(LOCK_SH)", dir.path_of(kUsersFile), errno);
      if (!wait.pause()) return false;
    }
    // The keeper unlinks the file when it is done: a lock on the file it unlinked
    // would be shared with nobody who comes later. Lock the file in place.
    if (dir.names_same_file(kUsersFile, fd.get())) {
      users_fd_ = std::move(fd);
      return true;
    }
    if (!wait.still_time()) return false;
  }
}

bool RoudiSupervisor::lock_start(const StartWait& wait) {
  while (!set_start_lock(users_fd_.get(), F_WRLCK)) {
    if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
      throw posix_error("fcntl(F_OFD_SETLK)", runtime_dir().path_of(kUsersFile), errno);
    }
    if (!wait.pause()) return false;
  }
  return true;
}

void RoudiSupervisor::unlock_start() noexcept {
  if (users_fd_) set_start_lock(users_fd_.get(), F_UNLCK);
}

void RoudiSupervisor::release_users(bool remove_if_last) noexcept {
  if (!users_fd_) return;
  // Nobody else holds it, and no keeper waits on it: nothing of it is needed.
  if (remove_if_last && dir_ && ::flock(users_fd_.get(), LOCK_EX | LOCK_NB) == 0 &&
      dir_->names_same_file(kUsersFile, users_fd_.get())) {
    ::unlinkat(dir_->fd(), kUsersFile, 0);
  }
  ::flock(users_fd_.get(), LOCK_UN);  // also for copies a fork child may hold a moment
  users_fd_.reset();
}

// The keeper's own open file description of roudi.users: one inherited from us
// would share our shared lock, and the keeper would wait for itself.
UniqueFd RoudiSupervisor::keeper_users_fd() {
  UniqueFd fd = runtime_dir().open_file(kUsersFile, O_RDWR);
  struct stat ours {}, keepers {};
  if (::fstat(users_fd_.get(), &ours) != 0 || ::fstat(fd.get(), &keepers) != 0 || ours.st_ino != keepers.st_ino ||
      ours.st_dev != keepers.st_dev) {
    throw Error(fmt::format("'{}' was replaced while this process held its start lock", runtime_dir().path_of(kUsersFile)));
  }
  return fd;
}

void RoudiSupervisor::ensure_running(const std::string& config_text, std::size_t shm_bytes, milliseconds timeout,
                                     const std::function<bool()>& cancelled) {
  if (use_ != Use::None) {
    if (alive()) return;
    throw Error("the RouDi this process used has gone; a new one is not started under live workers");
  }
  const StartWait wait(timeout, cancelled);
  users_file_unclaimed_ = false;
  try {
    for (;;) {
      if (!join_users(wait)) {
        throw Error(fmt::format("a RouDi keeper held '{}' exclusively (stopping its RouDi) for over {} ms",
                                runtime_dir().path_of(kUsersFile), timeout.count()));
      }
      if (!lock_start(wait)) {
        throw Error(fmt::format("another process was starting RouDi and it did not answer within {} ms",
                                timeout.count()));
      }
      // A keeper that cleaned up after its RouDi may have unlinked the file meanwhile.
      if (runtime_dir().names_same_file(kUsersFile, users_fd_.get())) break;
      release_users(false);
    }
    if (use_under_start_lock(config_text, shm_bytes, wait)) unlock_start();
  } catch (...) {
    unlock_start();
    // Removing roudi.users while a keeper waits on it would keep that keeper from cleaning up.
    release_users(users_file_unclaimed_);
    pidfd_.reset();
    pid_ = -1;
    use_ = Use::None;
    config_text_.reset();
    throw;
  }
}

// Decides, holding the start lock, between attaching and starting. Returns true
// if the lock is still held (to be released by the caller).
bool RoudiSupervisor::use_under_start_lock(const std::string& config_text, std::size_t shm_bytes,
                                           const StartWait& wait) {
  const RuntimeDir& dir = runtime_dir();
  const std::optional<std::string> recorded = dir.read_small_file(kEnginePidFile, 4096);
  const std::optional<EngineRecord> record = recorded ? EngineRecord::parse(*recorded) : std::nullopt;
  const bool answers = roudi_answers(paths_);
  if (record && record->roudi_alive()) {
    if (!answers) {
      throw Error(fmt::format("the RouDi the engine started (pid {}, see '{}') runs but does not answer on '{}'",
                              record->roudi_pid, dir.path_of(kEnginePidFile), paths_.socket));
    }
    attach_engine(*record, wait);
    return true;
  }
  if (recorded) {  // its RouDi is gone; a keeper still cleaning up after it defers to the start lock's holder
    logger("roudi")->warn("removing '{}': the RouDi it names is gone", dir.path_of(kEnginePidFile));
    for (const char* name : {kEnginePidFile, kConfigFile, kLogFile}) dir.remove(name);
  }
  users_file_unclaimed_ = true;
  if (answers) {
    attach_foreign("the RouDi already running on this machine");
    return false;
  }
  start(config_text, shm_bytes, wait);
  return use_ == Use::Started;
}

void RoudiSupervisor::attach_foreign(const char* whose) {
  unlock_start();
  release_users(true);  // never locked, never stopped: not ours
  use_ = Use::Foreign;
  logger("roudi")->debug("attached to {}", whose);
}

void RoudiSupervisor::attach_engine(const EngineRecord& record, const StartWait& wait) {
  const RuntimeDir& dir = runtime_dir();
  pidfd_ = pidfd_of(record.roudi_pid, record.roudi_start, kRoudiName);
  if (!pidfd_) throw Error(fmt::format("the RouDi the engine started (pid {}) ended while attaching", record.roudi_pid));
  pid_ = record.roudi_pid;
  config_text_ = dir.read_small_file(kConfigFile);
  if (!record.keeper_alive()) {
    // Its keeper was killed: without one, nobody would stop this RouDi.
    KeeperPlan plan;
    UniqueFd users = keeper_users_fd();
    plan.rundir_fd = dir.fd();
    plan.users_fd = users.get();
    plan.roudi_pid = record.roudi_pid;
    plan.roudi_pidfd = pidfd_.get();
    plan.socket = paths_.socket;
    plan.unique_lock = paths_.unique_lock;
    plan.iceoryx_files = iceoryx_files(paths_);
    plan.shm_dir = paths_.shm_dir;
    plan.tmp_dir = paths_.tmp_dir;
    UniqueFd report = launch_keeper(plan);
    KeeperReport message;
    const ReportWait got = read_report(report.get(), message, wait);
    if (got != ReportWait::kGot || message.kind != KeeperReport::kReady) {
      throw Error(fmt::format("a new keeper for RouDi (pid {}) did not report ready", record.roudi_pid));
    }
    record_engine_roudi(record.roudi_pid, message.keeper_pid);
    logger("roudi")->warn("the keeper of RouDi (pid {}) had died; keeper {} took over", record.roudi_pid,
                          message.keeper_pid);
  }
  use_ = Use::Joined;
  logger("roudi")->debug("attached to the RouDi the engine started (pid {})", pid_);
}

void RoudiSupervisor::record_engine_roudi(pid_t roudi, pid_t keeper) {
  EngineRecord record;
  record.roudi_pid = roudi;
  record.keeper_pid = keeper;
  const auto roudi_start = process_start_time(roudi);
  const auto keeper_start = process_start_time(keeper);
  if (!roudi_start || !keeper_start) {
    throw Error(fmt::format("RouDi (pid {}) or its keeper (pid {}) ended as it was recorded", roudi, keeper));
  }
  record.roudi_start = *roudi_start;
  record.keeper_start = *keeper_start;
  runtime_dir().write_atomically(kEnginePidFile, record.text());
}

void RoudiSupervisor::start(const std::string& config_text, std::size_t shm_bytes, const StartWait& wait) {
  auto log = logger("roudi");
  const RuntimeDir& dir = runtime_dir();
  for (const auto& file : remove_stale_roudi_files(paths_)) log->warn("removed stale iceoryx file {}", file);
  check_iceoryx_paths(paths_);
  if (const std::size_t free = shm_free_bytes(); free < shm_bytes) {
    throw Error(fmt::format("/dev/shm has {:.1f} MiB free, but RouDi needs {:.1f} MiB with {} ({:.1f} MiB of it "
                            "iceoryx's management segment); {}",
                            static_cast<double>(free) / (1 << 20), static_cast<double>(shm_bytes) / (1 << 20),
                            config_name_, static_cast<double>(MempoolTable::kManagementBytes) / (1 << 20),
                            shm_advice_));
  }
  const std::optional<std::string> binary = find_program(paths_.roudi_command);
  if (!binary) {
    throw Error(fmt::format("cannot start {}: {} on PATH (is the 'iceoryx' package installed and on PATH?)",
                            paths_.roudi_command, std::strerror(ENOENT)));
  }
  dir.write_atomically(kConfigFile, config_text);
  const std::string config_path = dir.path_of(kConfigFile);

  KeeperPlan plan;
  UniqueFd users = keeper_users_fd();
  UniqueFd log_fd = dir.open_file(kLogFile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  plan.rundir_fd = dir.fd();
  plan.users_fd = users.get();
  plan.log_fd = log_fd.get();
  // -m off: RouDi's monitoring drops an app stopped (Ctrl+Z) for 1.5 s, which then
  // aborts; the engine watches its processes through pidfds instead.
  plan.command = {*binary, "-c", config_path, "-l", "warning", "-m", "off"};
  plan.socket = paths_.socket;
  plan.unique_lock = paths_.unique_lock;
  plan.iceoryx_files = iceoryx_files(paths_);
  plan.shm_dir = paths_.shm_dir;
  plan.tmp_dir = paths_.tmp_dir;
  plan.ready_limit = wait.limit();
  const auto started = Clock::now();
  UniqueFd report = launch_keeper(plan);
  users.reset();
  log_fd.reset();

  UniqueFd roudi;  // a pidfd, once it is spawned
  const auto abandon = [&]() noexcept {
    // Closing the pipe first tells the keeper to clean up alone; stopping RouDi
    // here leaves no half-started RouDi to whoever takes the start lock next.
    report.reset();
    if (roudi) kill_and_wait(roudi.get(), milliseconds(2000));
    remove_stale_roudi_files(paths_);
    for (const char* name : {kConfigFile, kLogFile}) ::unlinkat(dir.fd(), name, 0);
  };
  try {
    for (;;) {
      KeeperReport message;
      const ReportWait got = read_report(report.get(), message, wait);
      if (got == ReportWait::kTimedOut) {
        throw Error(fmt::format("iox-roudi did not become ready within {} ms{}", wait.limit().count(), log_tail(dir)));
      }
      if (got == ReportWait::kEnd) throw Error("the RouDi keeper ended before RouDi was ready");
      if (message.kind == KeeperReport::kSpawned) {
        roudi.reset(static_cast<int>(::syscall(SYS_pidfd_open, message.roudi_pid, 0)));
        continue;
      }
      if (message.kind == KeeperReport::kReady) {
        record_engine_roudi(message.roudi_pid, message.keeper_pid);
        pid_ = message.roudi_pid;
        pidfd_ = std::move(roudi);
        config_text_ = config_text;
        use_ = Use::Started;
        const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
        log->debug("started RouDi (pid {}, keeper {}) in {} ms with {}", pid_, message.keeper_pid, took.count(),
                   config_path);
        if (took >= kSlowRoudiStart) {
          log->info("RouDi took {:.1f} s to start: it writes all {:.0f} MiB of its shared memory first, for {}; "
                    "a RouDi that is already running (iox-roudi -c CONFIG) is used without this wait",
                    static_cast<double>(took.count()) / 1000, static_cast<double>(shm_bytes) / (1 << 20),
                    config_name_);
        }
        return;
      }
      if (message.kind == KeeperReport::kExecFailed) {
        throw Error(fmt::format("cannot start {}: {} (is the 'iceoryx' package installed and on PATH?)", *binary,
                                std::strerror(message.detail)));
      }
      if (message.kind == KeeperReport::kStopped) {
        throw Error(message.detail == SIGTERM ? "the RouDi keeper got SIGTERM before RouDi was ready"
                                              : "iox-roudi did not become ready in the keeper's limit");
      }
      // kExited. A RouDi started outside sgn at the same moment holds the lock: use that one.
      const std::string tail = log_tail(dir);
      abandon();
      while (roudi_lock_held(paths_) && wait.still_time()) {
        if (roudi_answers(paths_)) {
          attach_foreign("a RouDi started elsewhere at the same time");
          return;
        }
        std::this_thread::sleep_for(milliseconds(10));
      }
      throw Error(fmt::format("iox-roudi exited at start ({}; is {} valid?){}", describe_wait_status(message.detail),
                              config_name_, tail));
    }
  } catch (...) {
    abandon();
    throw;
  }
}

bool RoudiSupervisor::alive() {
  if (dead_) return false;
  if (use_ == Use::None) return false;
  const int fd = roudi_pidfd();
  if (fd >= 0 ? pidfd_exited(fd) : !roudi_answers(paths_)) dead_ = true;
  return !dead_;
}

int RoudiSupervisor::roudi_pidfd() {
  if (!pidfd_ && use_ == Use::Foreign && !looked_for_holder_) {
    looked_for_holder_ = true;
    if (const pid_t holder = flock_holder(paths_.unique_lock); holder > 0) {
      if (const auto start = process_start_time(holder)) {
        pidfd_ = pidfd_of(holder, *start, kRoudiName);
        if (pidfd_) pid_ = holder;
      }
    }
  }
  return pidfd_.get();
}

void RoudiSupervisor::leave() noexcept {
  release_users(false);
  pidfd_.reset();
  pid_ = -1;
  use_ = Use::None;
  dead_ = false;
  looked_for_holder_ = false;
  config_text_.reset();
}

}  // namespace sgn::detail
