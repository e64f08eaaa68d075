// Process records and the cleanup of dead runs, in private directories: a
// helper process (this binary started again) makes a record and files named
// with its token, and is killed.

#include "roudi/run_record.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/process_helpers.hpp"

namespace sgn::detail {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr uid_t kNobody = 65534;
constexpr char kHelperEnv[] = "SGN_TEST_RUN_RECORD";  // "<rundir>|<shm dir>|<tmp dir>|<report fd>"

void touch(const fs::path& path) { std::ofstream(path) << "x"; }

/// A unix socket file at `path`, as iceoryx makes for a runtime.
void make_socket(const fs::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << path;
  ::close(fd);
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

class RunRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = test::make_temp_dir("sgn-run-record-test");
    ASSERT_FALSE(base_.empty());
    for (const auto* sub : {"shm", "tmp"}) fs::create_directory(base_ / sub);
    dir_.emplace(RuntimeDir::open((base_ / "run").string()));
  }
  void TearDown() override {
    for (const pid_t pid : helpers_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    fs::remove_all(base_);
  }

  /// Starts a helper that records itself and makes files carrying its token
  /// (two segments, a runtime socket and its lock); returns its token.
  std::string start_helper(pid_t& pid) {
    test::SelfHelper helper = test::SelfHelper::spawn(
        "RunRecordHelper.RecordsItselfMakesFilesAndWaits",
        {std::string(kHelperEnv) + "=" + dir_->path() + "|" + (base_ / "shm").string() + "|" +
         (base_ / "tmp").string() + "|3"});
    pid = helper.pid;
    if (pid > 0) helpers_.push_back(pid);
    const std::string token = helper.read_line();
    helper.release();
    return token;
  }

  void kill_helper(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    helpers_.erase(std::remove(helpers_.begin(), helpers_.end(), pid), helpers_.end());
  }

  std::vector<std::string> reap() { return reap_dead_runs(*dir_, (base_ / "shm").string(), (base_ / "tmp").string()); }

  fs::path base_;
  std::optional<RuntimeDir> dir_;
  std::vector<pid_t> helpers_;
};

TEST(ProcessToken, IsSixteenLowercaseHexDigitsFixedForTheProcess) {
  const std::string& token = process_token();
  EXPECT_EQ(token.size(), 16u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
  EXPECT_EQ(&process_token(), &token);
  EXPECT_EQ(process_token(), token);
}

TEST_F(RunRecordTest, ALiveProcessKeepsItsRecordAndFiles) {
  pid_t helper = -1;
  const std::string token = start_helper(helper);
  ASSERT_EQ(token.size(), 16u) << "the helper did not report its token";
  ASSERT_NE(token, process_token()) << "every process has its own token";
  const fs::path record = fs::path(dir_->path()) / ("run-" + token);
  ASSERT_TRUE(fs::exists(record));
  std::ifstream content(record);
  pid_t recorded = 0;
  content >> recorded;
  EXPECT_EQ(recorded, helper);
  struct stat st {};
  ASSERT_EQ(::stat(record.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const int fd = ::open(record.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0) << "the helper holds its record locked";
  ::close(fd);

  EXPECT_TRUE(reap().empty());
  EXPECT_EQ(names_in(base_ / "shm").size(), 2u);
  EXPECT_EQ(names_in(base_ / "tmp").size(), 2u);
}

TEST_F(RunRecordTest, AKilledProcessIsReapedWithItsFilesOnly) {
  pid_t helper = -1;
  const std::string token = start_helper(helper);
  ASSERT_EQ(token.size(), 16u);
  const std::string other = "0123456789abcdef";
  // Names that must survive: another token's, and near misses of this one's.
  for (const auto& name : {"sgn." + other + ".ctl", "sgn." + token, "sgn_" + token + ".ctl"}) {
    touch(base_ / "shm" / name);
  }
  for (const std::string& name : {"sgn_" + other + "_main", "sgn_" + token, std::string("roudi")}) {
    touch(base_ / "tmp" / name);
  }
  kill_helper(helper);

  std::vector<std::string> removed = reap();
  std::sort(removed.begin(), removed.end());
  const std::vector<std::string> expected{
      (base_ / "run" / ("run-" + token)).string(),
      (base_ / "shm" / ("sgn." + token + ".ctl")).string(),
      (base_ / "shm" / ("sgn." + token + ".shared0")).string(),
      (base_ / "tmp" / ("sgn_" + token + "_main")).string(),
      (base_ / "tmp" / ("sgn_" + token + "_main.lock")).string(),
  };
  EXPECT_EQ(removed, expected);
  // names_in() sorts, and the random token may sort before the other one.
  EXPECT_EQ(names_in(base_ / "shm"), sorted({"sgn." + other + ".ctl", "sgn." + token, "sgn_" + token + ".ctl"}));
  EXPECT_EQ(names_in(base_ / "tmp"), sorted({"roudi", "sgn_" + other + "_main", "sgn_" + token}));
  EXPECT_TRUE(names_in(dir_->path()).empty());
  EXPECT_TRUE(reap().empty()) << "nothing is reaped twice";
}

TEST_F(RunRecordTest, LinksDirectoriesAndOtherUsersFilesAreLeftAlone) {
  pid_t helper = -1;
  const std::string token = start_helper(helper);
  ASSERT_EQ(token.size(), 16u);
  const fs::path victim = base_ / "victim";
  touch(victim);
  fs::create_symlink(victim, base_ / "tmp" / ("sgn_" + token + "_link"));
  fs::create_directory(base_ / "shm" / ("sgn." + token + ".dir"));
  const fs::path theirs = base_ / "shm" / ("sgn." + token + ".theirs");
  touch(theirs);
  const bool root = ::geteuid() == 0;
  if (root) {
    ASSERT_EQ(::chown(theirs.c_str(), kNobody, kNobody), 0);
  }
  kill_helper(helper);

  const std::vector<std::string> removed = reap();
  EXPECT_EQ(removed.size(), root ? 5u : 6u) << "four files of the helper and its record";
  EXPECT_TRUE(fs::exists(victim));
  EXPECT_TRUE(fs::is_symlink(base_ / "tmp" / ("sgn_" + token + "_link")));
  EXPECT_TRUE(fs::is_directory(base_ / "shm" / ("sgn." + token + ".dir")));
  if (root) {
    EXPECT_TRUE(fs::exists(theirs)) << "another user's file";
  }
}

TEST_F(RunRecordTest, ALockDecidesNotThePidInTheRecord) {
  // A record naming a live pid (ours) whose lock is free: its owner died and the pid was reused.
  const std::string reused = "00000000000000aa";
  std::ofstream(fs::path(dir_->path()) / ("run-" + reused)) << ::getpid() << "\n";
  touch(base_ / "shm" / ("sgn." + reused + ".ctl"));
  // A record naming a dead pid whose lock is held: a live owner.
  const std::string locked = "00000000000000bb";
  std::ofstream(fs::path(dir_->path()) / ("run-" + locked)) << "999999999\n";
  touch(base_ / "shm" / ("sgn." + locked + ".ctl"));
  const int holder = ::open((fs::path(dir_->path()) / ("run-" + locked)).c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_EQ(::flock(holder, LOCK_EX), 0);
  // Not records: a malformed token, a temporary file.
  touch(fs::path(dir_->path()) / "run-xyz");
  touch(fs::path(dir_->path()) / ".roudi.pid.1-0.new");

  EXPECT_EQ(reap().size(), 2u);
  EXPECT_FALSE(fs::exists(base_ / "shm" / ("sgn." + reused + ".ctl")));
  EXPECT_TRUE(fs::exists(base_ / "shm" / ("sgn." + locked + ".ctl")));
  EXPECT_EQ(names_in(dir_->path()), (std::vector<std::string>{".roudi.pid.1-0.new", "run-" + locked, "run-xyz"}));
  ::close(holder);
}

// In this process: the record exists and stays locked while we live; at a
// normal exit it goes only once nothing carrying our token is left.
TEST_F(RunRecordTest, OwnRecordIsLockedAndRetiredOnceNothingOfOursIsLeft) {
  ensure_process_record(*dir_);
  ensure_process_record(*dir_);  // once only
  const fs::path record = fs::path(dir_->path()) / ("run-" + process_token());
  ASSERT_TRUE(fs::exists(record));
  EXPECT_TRUE(reap().empty()) << "our own record is alive";
  const fs::path segment = base_ / "shm" / ("sgn." + process_token() + ".ctl");
  touch(segment);
  retire_process_record(false, (base_ / "shm").c_str(), (base_ / "tmp").c_str());
  EXPECT_TRUE(fs::exists(record)) << "a segment of ours is left: the record stays for the next reaper";
  fs::remove(segment);
  retire_process_record(false, (base_ / "shm").c_str(), (base_ / "tmp").c_str());
  EXPECT_FALSE(fs::exists(record));

  ensure_process_record(*dir_);  // made again after a retirement
  ASSERT_TRUE(fs::exists(record));
  touch(segment);
  retire_process_record(true, (base_ / "shm").c_str(), (base_ / "tmp").c_str());
  EXPECT_FALSE(fs::exists(segment)) << "removed: no RouDi is left to use it";
  EXPECT_FALSE(fs::exists(record));
}

// Runs inside the helper process started by RunRecordTest.
TEST(RunRecordHelper, RecordsItselfMakesFilesAndWaits) {
  const char* spec = std::getenv(kHelperEnv);
  if (!spec) GTEST_SKIP() << "only run as the helper of another test";
  std::vector<std::string> parts;
  std::string part;
  for (const char* c = spec;; ++c) {
    if (*c == '|' || *c == '\0') {
      parts.push_back(part);
      part.clear();
      if (*c == '\0') break;
    } else {
      part += *c;
    }
  }
  ASSERT_EQ(parts.size(), 4u);
  const RuntimeDir dir = RuntimeDir::open(parts[0]);
  ensure_process_record(dir);
  const std::string& token = process_token();
  touch(fs::path(parts[1]) / ("sgn." + token + ".ctl"));
  touch(fs::path(parts[1]) / ("sgn." + token + ".shared0"));
  make_socket(fs::path(parts[2]) / ("sgn_" + token + "_main"));
  touch(fs::path(parts[2]) / ("sgn_" + token + "_main.lock"));
  const std::string line = token + "\n";
  const int report = std::stoi(parts[3]);
  ASSERT_EQ(::write(report, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  ::close(report);
  std::this_thread::sleep_for(60s);  // killed by the test
}

}  // namespace
}  // namespace sgn::detail
