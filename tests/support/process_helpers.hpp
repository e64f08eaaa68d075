#pragma once
// Small helpers for tests that start processes and wait for them (or their
// files) to go: a private temporary directory, polling with a limit, "gone"
// for a pid, and this test binary started again as a helper.

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace sgn::test {

/// A new directory (mode 0700) under the test temp folder; empty on failure.
inline std::filesystem::path make_temp_dir(const std::string& stem) {
  std::string pattern = ::testing::TempDir() + stem + "-XXXXXX";
  return ::mkdtemp(pattern.data()) ? std::filesystem::path(pattern) : std::filesystem::path();
}

/// Polls `done` every 2 ms for up to `limit`; true once it holds.
template <class Done>
bool within(std::chrono::milliseconds limit, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// The process has ended: it is gone, or a zombie nobody has reaped yet.
inline bool gone_or_zombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return true;
  const auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z';
}

/// This test binary started again running only `test` (a helper that skips
/// unless `env` says otherwise), with `env` ("NAME=value") on top of ours and
/// the write end of a pipe as its fd 3. Returns its pid (-1 on failure) and the
/// read end, from which read_line() takes what the helper reports.
struct SelfHelper {
  pid_t pid = -1;
  int report = -1;

  static SelfHelper spawn(const std::string& test, const std::vector<std::string>& env) {
    SelfHelper helper;
    int pipe[2];
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || ::pipe2(pipe, O_CLOEXEC) != 0) return helper;
    exe[n] = '\0';
    std::string filter = "--gtest_filter=" + test;
    char* argv[] = {exe, filter.data(), nullptr};
    std::vector<std::string> env_text = env;
    for (char** e = environ; *e; ++e) env_text.emplace_back(*e);  // the first of a name wins
    std::vector<char*> envp;
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 3);
    if (::posix_spawn(&helper.pid, exe, &actions, nullptr, argv, envp.data()) != 0) helper.pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe[1]);
    helper.report = pipe[0];
    return helper;
  }
  /// The next line the helper writes to its fd 3, waiting up to `limit` for each byte.
  std::string read_line(std::chrono::milliseconds limit = std::chrono::seconds(30)) const {
    std::string line;
    pollfd readable{report, POLLIN, 0};
    char c = 0;
    while (::poll(&readable, 1, static_cast<int>(limit.count())) > 0 && ::read(report, &c, 1) == 1 && c != '\n') {
      line += c;
    }
    return line;
  }
  /// Closes our end of the pipe (a helper may wait for that to exit).
  void release() {
    if (report >= 0) ::close(report);
    report = -1;
  }
};

}  // namespace sgn::test
