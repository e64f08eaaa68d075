// The RouDi supervisor's file locks, on files in a private directory (no RouDi
// is started here): who counts as a user, who is last, and which stale files
// may be removed.

#include "process/roudi_supervisor.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

namespace sgn::detail {
namespace {

using namespace std::chrono_literals;

class RoudiSupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "sgn-roudi-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    paths_.socket = dir_ / "roudi";
    paths_.unique_lock = dir_ / "iox-unique-roudi.lock";
    paths_.socket_lock = dir_ / "roudi.lock";
    paths_.management_shm = dir_ / "iceoryx_mgmt";
    paths_.data_shm = {dir_ / "root"};
    paths_.users_lock = dir_ / "sgn-roudi.users";
    paths_.engine_pid = dir_ / "sgn-roudi.pid";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Whether a newcomer could take the users file exclusively (be the last user).
  bool users_file_free() const {
    const int fd = ::open(paths_.users_lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return false;
    const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    return free;
  }

  std::filesystem::path dir_;
  RoudiPaths paths_;
};

TEST_F(RoudiSupervisorTest, AUserHoldsOthersFromBeingLastAndTheLastRemovesTheFile) {
  RoudiSupervisor user(paths_);
  ASSERT_TRUE(user.join_users(1s));
  EXPECT_FALSE(users_file_free()) << "a joined user must keep others from stopping RouDi";
  user.stop();
  EXPECT_FALSE(std::filesystem::exists(paths_.users_lock)) << "the last user leaves no file behind";
}

TEST_F(RoudiSupervisorTest, JoiningWaitsWhileAnotherStopsRouDiAndGivesUp) {
  const int stopping = ::open(paths_.users_lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  ASSERT_GE(stopping, 0);
  ASSERT_EQ(::flock(stopping, LOCK_EX), 0);
  RoudiSupervisor user(paths_);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(user.join_users(100ms));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms);
  ::close(stopping);
}

// The last user stops RouDi holding the file exclusively, then unlinks it. One who
// opened the file meanwhile gets its lock only after the unlink: a lock on that
// orphan would be shared with nobody, and a later user would think itself last.
TEST_F(RoudiSupervisorTest, JoiningAfterTheLastUserUnlinkedTheFileLocksTheNewOne) {
  const int last = ::open(paths_.users_lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  ASSERT_GE(last, 0);
  ASSERT_EQ(::flock(last, LOCK_EX), 0);
  RoudiSupervisor user(paths_);
  auto joined = std::async(std::launch::async, [&] { return user.join_users(5s); });
  std::this_thread::sleep_for(50ms);  // it has opened the file and waits for the lock
  ASSERT_EQ(joined.wait_for(0s), std::future_status::timeout) << "it must wait for the stopping user";
  ASSERT_EQ(::unlink(paths_.users_lock.c_str()), 0);
  ::close(last);
  ASSERT_TRUE(joined.get());
  EXPECT_TRUE(std::filesystem::exists(paths_.users_lock));
  EXPECT_FALSE(users_file_free()) << "the user holds a lock on an unlinked file, not on the one at the path";
  user.stop();
}

TEST_F(RoudiSupervisorTest, StaleFilesAreRemovedOnlyWhenNoLiveRouDiHoldsItsLock) {
  for (const auto& file : {paths_.management_shm, paths_.socket, paths_.unique_lock, paths_.data_shm[0]}) {
    std::ofstream(file) << "x";
  }
  const int roudi = ::open(paths_.unique_lock.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(roudi, 0);
  ASSERT_EQ(::flock(roudi, LOCK_EX), 0);
  EXPECT_TRUE(roudi_lock_held(paths_));
  EXPECT_TRUE(remove_stale_roudi_files(paths_).empty()) << "a live RouDi owns them";
  EXPECT_TRUE(std::filesystem::exists(paths_.management_shm));
  ::close(roudi);
  EXPECT_FALSE(roudi_lock_held(paths_));
  EXPECT_EQ(remove_stale_roudi_files(paths_).size(), 4u);
  EXPECT_FALSE(std::filesystem::exists(paths_.management_shm));
  EXPECT_FALSE(std::filesystem::exists(paths_.data_shm[0]));
}

}  // namespace
}  // namespace sgn::detail
