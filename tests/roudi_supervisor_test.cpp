// The RouDi supervisor on private paths, with stand-ins instead of a RouDi: a
// bound unix socket "answers", copies of /bin/sleep named iox-roudi or
// sgn-roudi-keep play the processes. Covers who counts as a user, the start
// lock and its bounds, cancellation, which records are believed, adopting a
// RouDi whose keeper died, and what that keeper does afterwards (the keeper
// starting a real RouDi is in roudi_keeper_test, under private namespaces).

#include "roudi/roudi_supervisor.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "roudi/roudi_keeper.hpp"
#include "support/process_helpers.hpp"
#include "support/wait_until.hpp"

extern char** environ;

namespace sgn::detail {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::gone_or_zombie;
using test::within;

/// Descriptors of this process open on the file `file` is the stat of.
int descriptors_on(const struct stat& file) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) == 0 && st.st_dev == file.st_dev && st.st_ino == file.st_ino) ++count;
  }
  return count;
}

constexpr uid_t kNobody = 65534;
constexpr char kLockHolderEnv[] = "SGN_TEST_HOLD_FLOCK";

class RoudiSupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = test::make_temp_dir("sgn-roudi-test");
    ASSERT_FALSE(base_.empty());
    for (const auto* sub : {"shm", "tmp", "bin"}) fs::create_directory(base_ / sub);
    paths_.socket = base_ / "tmp" / "roudi";
    paths_.unique_lock = base_ / "tmp" / "iox-unique-roudi.lock";
    paths_.socket_lock = base_ / "tmp" / "roudi.lock";
    paths_.management_shm = base_ / "shm" / "iceoryx_mgmt";
    paths_.data_shm = {base_ / "shm" / "root"};
    paths_.runtime_dir = base_ / "run";
    paths_.shm_dir = base_ / "shm";
    paths_.tmp_dir = base_ / "tmp";
    paths_.roudi_command = (base_ / "bin" / "no-such-roudi").string();
    RuntimeDir::open(paths_.runtime_dir);
  }
  void TearDown() override {
    if (socket_fd_ >= 0) ::close(socket_fd_);
    for (const pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    fs::remove_all(base_);
  }

  fs::path run_file(const char* name) const { return fs::path(paths_.runtime_dir) / name; }

  /// Whether a newcomer could take roudi.users exclusively (nobody uses RouDi).
  bool users_file_free() const {
    const int fd = ::open(run_file(kUsersFile).c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return true;
    const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    return free;
  }

  /// Another process starting RouDi: its lock on byte 0 of roudi.users. The descriptor, or -1.
  int hold_start_lock() const {
    const int fd = ::open(run_file(kUsersFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    struct flock byte0 {};
    byte0.l_type = F_WRLCK;
    byte0.l_len = 1;
    return fd >= 0 && ::fcntl(fd, F_OFD_SETLK, &byte0) == 0 ? fd : -1;
  }

  /// A stand-in RouDi socket: bound, so connect() succeeds, until closed.
  void bind_socket() {
    socket_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(socket_fd_, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, paths_.socket.c_str(), sizeof address.sun_path - 1);
    ASSERT_EQ(::bind(socket_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }

  /// A process whose name is `comm` (a copy of /bin/sleep, or of this binary
  /// holding a flock on `lock`), run by `uid`. Waits until it has that name.
  pid_t spawn_named(const std::string& comm, const std::string& lock = {}, uid_t uid = ::geteuid()) {
    const fs::path exe = base_ / "bin" / std::to_string(children_.size()) / comm;  // one copy each: a running one is busy
    fs::create_directory(exe.parent_path());
    fs::copy_file(lock.empty() ? fs::path("/bin/sleep") : fs::read_symlink("/proc/self/exe"), exe,
                  fs::copy_options::overwrite_existing);
    std::vector<std::string> args;
    if (uid != ::geteuid()) {
      fs::permissions(base_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
      for (const fs::path& dir : {base_ / "bin", exe.parent_path()}) {
        fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
      }
      args = {"/usr/bin/setpriv", "--reuid=" + std::to_string(uid), "--regid=" + std::to_string(uid),
              "--clear-groups"};
    }
    args.push_back(exe);
    if (lock.empty()) args.emplace_back("60");
    if (!lock.empty()) args.emplace_back("--gtest_filter=FakeRoudi.HoldsAFlockAndSleeps");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_text{std::string(kLockHolderEnv) + "=" + lock};
    for (char** e = environ; *e; ++e) env_text.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    if (::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data()) != 0) return -1;
    children_.push_back(pid);
    const bool named = within(5s, [&] {
      std::string name;
      std::getline(std::ifstream(fmt::format("/proc/{}/comm", pid)), name);
      return name == comm.substr(0, 15);
    });
    if (!named) return -1;
    if (!lock.empty()) within(5s, [&] { return flock_holder(lock) == pid; });
    return pid;
  }

  void kill_child(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    children_.erase(std::remove(children_.begin(), children_.end(), pid), children_.end());
  }

  /// roudi.pid naming these two processes, and the config RouDi "runs" with.
  void write_engine_record(pid_t roudi, pid_t keeper) {
    EngineRecord record;
    record.roudi_pid = roudi;
    record.roudi_start = process_start_time(roudi).value_or(0);
    record.keeper_pid = keeper;
    record.keeper_start = process_start_time(keeper).value_or(1);
    std::ofstream(run_file(kEnginePidFile)) << record.text();
    std::ofstream(run_file(kConfigFile)) << "[general]\nversion = 1\n";
  }

  /// A stand-in RouDi whose keeper is dead, joined by `user`, which gives it a
  /// new keeper: the record naming both.
  EngineRecord join_keeperless_roudi(RoudiSupervisor& user, pid_t& roudi) {
    bind_socket();
    roudi = spawn_named("iox-roudi");
    write_engine_record(roudi, dead_pid());
    user.ensure_running("", 0, 5s);
    return EngineRecord::parse(*RuntimeDir::open(paths_.runtime_dir).read_small_file(kEnginePidFile)).value();
  }

  /// A pid that no longer exists.
  static pid_t dead_pid() {
    pid_t pid = -1;
    char truth[] = "true";
    char* argv[] = {truth, nullptr};
    ::posix_spawnp(&pid, "true", nullptr, nullptr, argv, environ);
    ::waitpid(pid, nullptr, 0);
    return pid;
  }

  fs::path base_;
  RoudiPaths paths_;
  int socket_fd_ = -1;
  std::vector<pid_t> children_;
};

TEST_F(RoudiSupervisorTest, AUserKeepsOthersFromBeingLastUntilItLeaves) {
  RoudiSupervisor user(paths_);
  ASSERT_TRUE(user.join_users(1s));
  EXPECT_FALSE(users_file_free()) << "a joined user must keep the keeper from stopping RouDi";
  const auto started = Clock::now();
  user.leave();
  EXPECT_LT(Clock::now() - started, 50ms) << "leaving never waits";
  EXPECT_TRUE(users_file_free());
}

TEST_F(RoudiSupervisorTest, JoiningWaitsWhileAKeeperHoldsTheFileAndGivesUp) {
  RoudiSupervisor user(paths_);
  const int keeper = ::open(run_file(kUsersFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(keeper, 0);
  ASSERT_EQ(::flock(keeper, LOCK_EX), 0);
  const auto started = Clock::now();
  EXPECT_FALSE(user.join_users(100ms));
  EXPECT_GE(Clock::now() - started, 100ms);
  ::close(keeper);
}

// A keeper tearing down holds the file exclusively, then unlinks it. One who
// opened the file meanwhile gets its lock only after the unlink: a lock on that
// orphan would be shared with nobody, and the next keeper would stop RouDi under it.
TEST_F(RoudiSupervisorTest, JoiningAfterTheKeeperUnlinkedTheFileLocksTheNewOne) {
  RoudiSupervisor user(paths_);
  const int keeper = ::open(run_file(kUsersFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(keeper, 0);
  ASSERT_EQ(::flock(keeper, LOCK_EX), 0);
  struct stat held {};
  ASSERT_EQ(::fstat(keeper, &held), 0);
  auto joined = std::async(std::launch::async, [&] { return user.join_users(5s); });
  // The event: the joiner has the same file open (and, the keeper holding it, waits).
  ASSERT_TRUE(test::wait_until([&] { return descriptors_on(held) >= 2; }, 5s)) << "the joiner never opened the file";
  ASSERT_EQ(joined.wait_for(0s), std::future_status::timeout) << "it must wait for the keeper";
  ASSERT_EQ(::unlink(run_file(kUsersFile).c_str()), 0);
  ::close(keeper);
  ASSERT_TRUE(joined.get());
  EXPECT_TRUE(fs::exists(run_file(kUsersFile)));
  EXPECT_FALSE(users_file_free()) << "the user holds the file at the path, not the unlinked one";
  user.leave();
}

TEST_F(RoudiSupervisorTest, StaleFilesAreRemovedOnlyWhenNoLiveRouDiHoldsItsLock) {
  for (const auto& file : iceoryx_files(paths_)) std::ofstream(file) << "x";
  const int roudi = ::open(paths_.unique_lock.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(roudi, 0);
  ASSERT_EQ(::flock(roudi, LOCK_EX), 0);
  EXPECT_TRUE(roudi_lock_held(paths_));
  EXPECT_TRUE(remove_stale_roudi_files(paths_).empty()) << "a live RouDi owns them";
  EXPECT_TRUE(fs::exists(paths_.management_shm));
  ::close(roudi);
  EXPECT_FALSE(roudi_lock_held(paths_));
  EXPECT_EQ(remove_stale_roudi_files(paths_).size(), 5u);
  for (const auto& file : iceoryx_files(paths_)) EXPECT_FALSE(fs::exists(file)) << file;
}

TEST_F(RoudiSupervisorTest, StaleFileRemovalSparesLinksAndOtherUsersFiles) {
  const fs::path victim = base_ / "victim";
  std::ofstream(victim) << "keep";
  fs::create_symlink(victim, paths_.management_shm);
  std::ofstream(paths_.socket_lock) << "x";
  const bool root = ::geteuid() == 0;
  if (root) {
    ASSERT_EQ(::chown(paths_.socket_lock.c_str(), kNobody, kNobody), 0);
  }
  remove_stale_roudi_files(paths_);
  EXPECT_TRUE(fs::is_symlink(paths_.management_shm));
  EXPECT_TRUE(fs::exists(victim));
  if (root) {
    EXPECT_TRUE(fs::exists(paths_.socket_lock));
  }
}

TEST_F(RoudiSupervisorTest, IceoryxPathsThatAreLinksOrAnotherUsersAreRefusedNamingPathAndOwner) {
  EXPECT_NO_THROW(check_iceoryx_paths(paths_));
  fs::create_symlink(base_ / "victim", paths_.socket_lock);
  try {
    check_iceoryx_paths(paths_);
    ADD_FAILURE() << "a link was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(paths_.socket_lock + "' is a symbolic link"), std::string::npos) << e.what();
  }
  fs::remove(paths_.socket_lock);
  if (::geteuid() != 0) return;
  std::ofstream(paths_.management_shm) << "x";
  ASSERT_EQ(::chown(paths_.management_shm.c_str(), kNobody, kNobody), 0);
  try {
    check_iceoryx_paths(paths_);
    ADD_FAILURE() << "another user's file was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(paths_.management_shm + "' belongs to uid 65534"), std::string::npos)
        << e.what();
  }
}

TEST(IceoryxDataSegment, IsNamedAfterOurEffectiveGroup) {
  if (::getegid() == 0) {
    EXPECT_EQ(iceoryx_data_segment_path(), "/dev/shm/root");
  }
  EXPECT_EQ(iceoryx_data_segment_path().rfind("/dev/shm/", 0), 0u);
}

TEST_F(RoudiSupervisorTest, AnotherStarterHoldingTheStartLockIsWaitedForWithinTheLimit) {
  RoudiSupervisor user(paths_);
  const int starter = hold_start_lock();
  ASSERT_GE(starter, 0);
  const auto started = Clock::now();
  try {
    user.ensure_running("", 0, 200ms);
    ADD_FAILURE() << "ensure_running must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another process was starting RouDi"), std::string::npos) << e.what();
  }
  EXPECT_GE(Clock::now() - started, 200ms);
  EXPECT_LT(Clock::now() - started, 1s);
  EXPECT_TRUE(users_file_free()) << "a failed start holds no lock";
  ::close(starter);
}

TEST_F(RoudiSupervisorTest, ACancelledStartThrowsAtOnceAndHoldsNothing) {
  RoudiSupervisor user(paths_);
  const int starter = hold_start_lock();
  ASSERT_GE(starter, 0);
  std::atomic<bool> cancel{false};
  std::atomic<Clock::rep> cancelled_at{0};
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    cancelled_at = Clock::now().time_since_epoch().count();
    cancel = true;
  });
  EXPECT_THROW(user.ensure_running("", 0, 20s, [&] { return cancel.load(); }), StartCancelled);
  const auto reaction = Clock::now() - Clock::time_point(Clock::duration(cancelled_at.load()));
  canceller.join();
  // Checked at least every 10 ms; the margin is for a loaded machine's scheduling.
  EXPECT_LT(reaction, 50ms) << "cancellation is checked at least every 10 ms";
  EXPECT_TRUE(users_file_free()) << "the cancelled process must not keep its shared lock";
  EXPECT_FALSE(user.in_use());
  ::close(starter);
}

TEST_F(RoudiSupervisorTest, AMissingRouDiBinaryIsAClearErrorAndLeavesNoFile) {
  RoudiSupervisor user(paths_);
  try {
    user.ensure_running("[general]\nversion = 1\n", 0, 2s);
    ADD_FAILURE() << "ensure_running must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot start " + paths_.roudi_command + ": No such file"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::is_empty(paths_.runtime_dir)) << "no users file, config or log is left";
}

TEST_F(RoudiSupervisorTest, ARouDiTheEngineDidNotStartIsUsedButNeverLockedOrAdopted) {
  bind_socket();
  RoudiSupervisor user(paths_);
  user.ensure_running("", 0, 2s);
  EXPECT_TRUE(user.in_use());
  EXPECT_FALSE(user.started_by_us());
  EXPECT_EQ(user.engine_config_text(), std::nullopt);
  EXPECT_TRUE(fs::is_empty(paths_.runtime_dir)) << "no users file for someone else's RouDi";
  EXPECT_EQ(user.roudi_pidfd(), -1) << "nobody holds the unique lock here";
  EXPECT_TRUE(user.alive());
  ::close(socket_fd_);
  socket_fd_ = -1;
  EXPECT_FALSE(user.alive()) << "without a pidfd, liveness is the socket";
}

TEST_F(RoudiSupervisorTest, ARouDiTheEngineDidNotStartIsWatchedThroughItsUniqueLockHolder) {
  bind_socket();
  const pid_t roudi = spawn_named("iox-roudi", paths_.unique_lock);
  ASSERT_GT(roudi, 0);
  EXPECT_EQ(flock_holder(paths_.unique_lock), roudi);
  RoudiSupervisor user(paths_);
  user.ensure_running("", 0, 2s);
  EXPECT_GE(user.roudi_pidfd(), 0);
  EXPECT_EQ(user.pid(), roudi);
  EXPECT_TRUE(user.alive());
  kill_child(roudi);
  EXPECT_FALSE(user.alive()) << "its pidfd tells, though the socket still answers";
}

TEST_F(RoudiSupervisorTest, OnlyAProcessOfOursWithTheRecordedStartTimeAndNameIsBelieved) {
  const pid_t roudi = spawn_named("iox-roudi");
  ASSERT_GT(roudi, 0);
  EngineRecord record;
  record.roudi_pid = roudi;
  record.roudi_start = process_start_time(roudi).value();
  EXPECT_TRUE(record.roudi_alive());
  EXPECT_EQ(EngineRecord::parse(record.text())->roudi_start, record.roudi_start);
  record.roudi_start += 1;
  EXPECT_FALSE(record.roudi_alive()) << "a reused pid";
  record.roudi_pid = ::getpid();
  record.roudi_start = process_start_time(::getpid()).value();
  EXPECT_FALSE(record.roudi_alive()) << "not named iox-roudi";
  record.keeper_pid = dead_pid();
  EXPECT_FALSE(record.keeper_alive());
  EXPECT_EQ(EngineRecord::parse("12 x\n"), std::nullopt);
  if (::geteuid() == 0) {
    const pid_t theirs = spawn_named("iox-roudi", {}, kNobody);
    ASSERT_GT(theirs, 0);
    record.roudi_pid = theirs;
    record.roudi_start = process_start_time(theirs).value();
    EXPECT_FALSE(record.roudi_alive()) << "another user's process";
  }
}

TEST_F(RoudiSupervisorTest, APlantedRecordNamingAnotherProcessIsRemovedNotAdopted) {
  bind_socket();
  write_engine_record(::getpid(), ::getpid());  // this test process: not a RouDi
  RoudiSupervisor user(paths_);
  user.ensure_running("", 0, 2s);
  EXPECT_FALSE(user.started_by_us());
  EXPECT_EQ(user.engine_config_text(), std::nullopt) << "treated as someone else's RouDi";
  EXPECT_FALSE(fs::exists(run_file(kEnginePidFile))) << "a stale record is removed";
  EXPECT_FALSE(fs::exists(run_file(kConfigFile)));
}

TEST_F(RoudiSupervisorTest, AnEngineRouDiIsJoinedWithItsConfigAndLockedWhileUsed) {
  bind_socket();
  const pid_t roudi = spawn_named("iox-roudi");
  const pid_t keeper = spawn_named(kKeeperName);
  ASSERT_GT(roudi, 0);
  ASSERT_GT(keeper, 0);
  write_engine_record(roudi, keeper);
  RoudiSupervisor user(paths_);
  user.ensure_running("ignored", 0, 2s);
  EXPECT_FALSE(user.started_by_us());
  EXPECT_EQ(user.engine_config_text(), "[general]\nversion = 1\n");
  EXPECT_EQ(user.pid(), roudi);
  EXPECT_GE(user.roudi_pidfd(), 0);
  EXPECT_FALSE(users_file_free());
  EXPECT_TRUE(user.alive());
  kill_child(roudi);
  EXPECT_FALSE(user.alive());
  user.leave();
  EXPECT_TRUE(users_file_free());
}

// The keeper of a running engine RouDi was killed: the next user starts a new one,
// which stops that RouDi as soon as the last user is gone, and cleans up.
TEST_F(RoudiSupervisorTest, ARouDiWhoseKeeperDiedGetsANewKeeperThatStopsItAfterTheLastUser) {
  std::ofstream(paths_.management_shm) << "x";  // a file of RouDi's own, removed after it
  RoudiSupervisor user(paths_);
  pid_t roudi = -1;
  const std::optional<EngineRecord> record = join_keeperless_roudi(user, roudi);
  EXPECT_EQ(record->roudi_pid, roudi);
  EXPECT_TRUE(record->keeper_alive()) << "roudi.pid names the new keeper";
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(gone_or_zombie(roudi)) << "a keeper never stops RouDi while a user holds the lock";

  const auto left = Clock::now();
  user.leave();
  int status = 0;
  ASSERT_EQ(::waitpid(roudi, &status, 0), roudi);
  children_.clear();
  const auto stopped = Clock::now() - left;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_LT(stopped, 2s);
  EXPECT_TRUE(within(2s, [&] { return gone_or_zombie(record->keeper_pid); })) << "the keeper exits";
  EXPECT_TRUE(within(2s, [&] { return fs::is_empty(paths_.runtime_dir); }));
  EXPECT_FALSE(fs::exists(paths_.management_shm));
  std::cout << "[ measured ] keeper stopped RouDi "
            << std::chrono::duration_cast<std::chrono::microseconds>(stopped).count() << " us after the last user left\n";
}

TEST_F(RoudiSupervisorTest, AKeeperGivenSigtermStopsRouDiAndCleansUpUnderUsers) {
  RoudiSupervisor user(paths_);
  pid_t roudi = -1;
  const std::optional<EngineRecord> record = join_keeperless_roudi(user, roudi);
  ASSERT_EQ(::kill(record->keeper_pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(roudi, &status, 0), roudi);
  children_.clear();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_TRUE(within(2s, [&] { return gone_or_zombie(record->keeper_pid); }));
  EXPECT_TRUE(within(2s, [&] { return fs::is_empty(paths_.runtime_dir); }));
  EXPECT_FALSE(user.alive());
}

TEST_F(RoudiSupervisorTest, AKeeperWhoseRouDiDiesOnItsOwnCleansUpAndEndsAfterItsLastUser) {
  RoudiSupervisor user(paths_);
  pid_t roudi = -1;
  const std::optional<EngineRecord> record = join_keeperless_roudi(user, roudi);
  kill_child(roudi);
  EXPECT_TRUE(within(2s, [&] { return fs::is_empty(paths_.runtime_dir); })) << "cleaned up at once";
  EXPECT_FALSE(user.alive());
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(gone_or_zombie(record->keeper_pid)) << "it stays to reap what the last user leaves";
  user.leave();
  EXPECT_TRUE(within(2s, [&] { return gone_or_zombie(record->keeper_pid); })) << "the keeper ends";
}

// Runs as a stand-in RouDi started by the tests above (a copy of this binary).
TEST(FakeRoudi, HoldsAFlockAndSleeps) {
  const char* lock = std::getenv(kLockHolderEnv);
  if (!lock || !*lock) GTEST_SKIP() << "only run as a stand-in for another test";
  const int fd = ::open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  std::this_thread::sleep_for(60s);
}

}  // namespace
}  // namespace sgn::detail
