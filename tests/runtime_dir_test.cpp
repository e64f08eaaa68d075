// The engine's private runtime directory: where it is, which directories and
// files it refuses, and its file helpers.

#include "roudi/runtime_dir.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace sgn::detail {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;

/// Sets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class RuntimeDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "sgn-runtime-dir-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
  }
  void TearDown() override { fs::remove_all(base_); }

  /// Expects RuntimeDir::open(path) to throw an error naming the path and containing `words`.
  static void expect_refused(const fs::path& path, const std::string& words) {
    try {
      RuntimeDir::open(path.string());
      ADD_FAILURE() << "opened " << path;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(path.string()), std::string::npos) << message;
      EXPECT_NE(message.find(words), std::string::npos) << message;
    }
  }

  fs::path base_;
};

TEST_F(RuntimeDirTest, AnExplicitDirectoryComesFirst) {
  const ScopedEnv xdg("XDG_RUNTIME_DIR", base_.c_str());
  const ScopedEnv explicit_dir("SGN_RUNTIME_DIR", "/somewhere/else");
  EXPECT_EQ(runtime_dir_location(), "/somewhere/else");
}

TEST_F(RuntimeDirTest, APrivateXdgRuntimeDirIsUsed) {
  const ScopedEnv explicit_dir("SGN_RUNTIME_DIR", nullptr);
  ASSERT_EQ(::chmod(base_.c_str(), 0700), 0);
  const ScopedEnv xdg("XDG_RUNTIME_DIR", base_.c_str());
  EXPECT_EQ(runtime_dir_location(), (base_ / "sgn").string());
}

TEST_F(RuntimeDirTest, AnXdgRuntimeDirThatIsRelativeSharedOrNotOursIsIgnored) {
  const ScopedEnv explicit_dir("SGN_RUNTIME_DIR", nullptr);
  const std::string fallback = ::geteuid() == 0 ? "/run/sgn" : "/tmp/sgn-" + std::to_string(::geteuid());
  {
    const ScopedEnv xdg("XDG_RUNTIME_DIR", "relative/dir");
    EXPECT_EQ(runtime_dir_location(), fallback);
  }
  ASSERT_EQ(::chmod(base_.c_str(), 0777), 0);
  {
    const ScopedEnv xdg("XDG_RUNTIME_DIR", base_.c_str());
    EXPECT_EQ(runtime_dir_location(), fallback) << "others may write it";
  }
  if (::geteuid() == 0) {
    ASSERT_EQ(::chmod(base_.c_str(), 0700), 0);
    ASSERT_EQ(::chown(base_.c_str(), kNobody, kNobody), 0);
    const ScopedEnv xdg("XDG_RUNTIME_DIR", base_.c_str());
    EXPECT_EQ(runtime_dir_location(), fallback) << "another user's";
  }
  const ScopedEnv unset("XDG_RUNTIME_DIR", nullptr);
  EXPECT_EQ(runtime_dir_location(), fallback);
}

TEST_F(RuntimeDirTest, AMissingDirectoryIsCreatedPrivate) {
  const fs::path path = base_ / "sgn";
  const RuntimeDir dir = RuntimeDir::open(path.string());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(dir.path(), path.string());
  EXPECT_EQ(dir.path_of("roudi.pid"), (path / "roudi.pid").string());
  EXPECT_NO_THROW(RuntimeDir::open(path.string())) << "an existing private directory is fine";
}

TEST_F(RuntimeDirTest, ADirectoryOpenToGroupOrOthersIsRefused) {
  const fs::path path = base_ / "sgn";
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0750), 0);
  expect_refused(path, "0750");
  ASSERT_EQ(::chmod(path.c_str(), 0701), 0);
  expect_refused(path, "0701");
}

TEST_F(RuntimeDirTest, ADirectoryOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory away";
  const fs::path path = base_ / "sgn";
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  ASSERT_EQ(::chown(path.c_str(), kNobody, kNobody), 0);
  expect_refused(path, "owned by uid 65534");
}

TEST_F(RuntimeDirTest, ASymbolicLinkIsRefusedEvenToAPrivateDirectory) {
  const fs::path target = base_ / "target";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  const fs::path link = base_ / "sgn";
  fs::create_directory_symlink(target, link);
  expect_refused(link, "symbolic link");
}

TEST_F(RuntimeDirTest, ARegularFileIsRefused) {
  const fs::path path = base_ / "sgn";
  std::ofstream(path) << "x";
  expect_refused(path, "not a directory");
}

TEST_F(RuntimeDirTest, ARelativePathIsRefused) { expect_refused("relative/sgn", "absolute"); }

TEST_F(RuntimeDirTest, FilesAreNeverOpenedThroughALink) {
  const RuntimeDir dir = RuntimeDir::open((base_ / "sgn").string());
  const fs::path victim = base_ / "victim";
  std::ofstream(victim) << "keep";
  fs::create_symlink(victim, dir.path_of("roudi.users"));
  EXPECT_THROW(dir.open_file("roudi.users", O_RDWR | O_CREAT | O_TRUNC), Error);
  EXPECT_THROW(dir.open_if_exists("roudi.users", O_RDONLY), Error);
  std::ifstream in(victim);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "keep") << "the link's target must be untouched";
}

TEST_F(RuntimeDirTest, AFileOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  const RuntimeDir dir = RuntimeDir::open((base_ / "sgn").string());
  std::ofstream(dir.path_of("roudi.pid")) << "1 2\n3 4\n";
  ASSERT_EQ(::chown(dir.path_of("roudi.pid").c_str(), kNobody, kNobody), 0);
  try {
    dir.open_file("roudi.pid", O_RDONLY);
    ADD_FAILURE() << "opened another user's file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("owned by uid 65534"), std::string::npos) << e.what();
  }
}

TEST_F(RuntimeDirTest, ADirectoryInsideIsNotAFile) {
  const RuntimeDir dir = RuntimeDir::open((base_ / "sgn").string());
  ASSERT_EQ(::mkdir(dir.path_of("roudi.log").c_str(), 0700), 0);
  EXPECT_THROW(dir.open_file("roudi.log", O_RDONLY | O_DIRECTORY), Error);
}

TEST_F(RuntimeDirTest, CreatingAFileThatExistsFails) {
  const RuntimeDir dir = RuntimeDir::open((base_ / "sgn").string());
  EXPECT_TRUE(dir.create_file("run-x"));
  try {
    dir.create_file("run-x");
    ADD_FAILURE() << "created twice";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("openat"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("File exists"), std::string::npos) << e.what();
  }
}

TEST_F(RuntimeDirTest, WritingAtomicallyReplacesTheFileAndLeavesNoTemporary) {
  const RuntimeDir dir = RuntimeDir::open((base_ / "sgn").string());
  dir.write_atomically("roudi.pid", "first");
  dir.write_atomically("roudi.pid", "second");
  EXPECT_EQ(dir.read_small_file("roudi.pid"), "second");
  struct stat st {};
  ASSERT_EQ(::stat(dir.path_of("roudi.pid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(RuntimeDirTest, WritingOverALinkReplacesTheLinkNotItsTarget) {
  const RuntimeDir dir = RuntimeDir::open((base_ / "sgn").string());
  const fs::path victim = base_ / "victim";
  std::ofstream(victim) << "keep";
  fs::create_symlink(victim, dir.path_of("roudi.toml"));
  dir.write_atomically("roudi.toml", "[general]");
  EXPECT_FALSE(fs::is_symlink(dir.path_of("roudi.toml")));
  EXPECT_EQ(dir.read_small_file("roudi.toml"), "[general]");
  std::ifstream in(victim);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "keep");
}

TEST_F(RuntimeDirTest, ReadingAndRemovingAMissingFileIsNotAnError) {
  const RuntimeDir dir = RuntimeDir::open((base_ / "sgn").string());
  EXPECT_EQ(dir.read_small_file("roudi.pid"), std::nullopt);
  EXPECT_FALSE(dir.open_if_exists("roudi.pid", O_RDONLY));
  EXPECT_FALSE(dir.remove("roudi.pid"));
  dir.write_atomically("roudi.pid", "x");
  EXPECT_TRUE(dir.remove("roudi.pid"));
}

TEST_F(RuntimeDirTest, AFileBeyondTheLimitIsAnError) {
  const RuntimeDir dir = RuntimeDir::open((base_ / "sgn").string());
  dir.write_atomically("roudi.log", std::string(10000, 'x'));
  EXPECT_THROW(dir.read_small_file("roudi.log", 100), Error);
  EXPECT_EQ(dir.read_small_file("roudi.log")->size(), 10000u);
}

TEST_F(RuntimeDirTest, AnOpenFileIsKnownReplacedOnceUnlinked) {
  const RuntimeDir dir = RuntimeDir::open((base_ / "sgn").string());
  UniqueFd fd = dir.open_file("roudi.users", O_RDWR | O_CREAT);
  EXPECT_TRUE(dir.names_same_file("roudi.users", fd.get()));
  dir.remove("roudi.users");
  EXPECT_FALSE(dir.names_same_file("roudi.users", fd.get()));
  UniqueFd again = dir.open_file("roudi.users", O_RDWR | O_CREAT);
  EXPECT_FALSE(dir.names_same_file("roudi.users", fd.get())) << "a new file in its place";
  EXPECT_TRUE(dir.names_same_file("roudi.users", again.get()));
}

}  // namespace
}  // namespace sgn::detail
