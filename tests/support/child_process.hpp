#pragma once
// Running the command-line tools as child processes, as a shell would: captured
// output, bounded waits, the JSON statistics, and the processes of this (private)
// PID namespace by name.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/wait_until.hpp"

extern char** environ;

namespace sgn::test {

namespace fs = std::filesystem;

struct Child {
  pid_t pid = -1;
  fs::path out, err;
};

struct Result {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out, err;
};

inline std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The "elements" of sgn-launch's JSON as name -> field -> value text (minimal parsing).
inline std::map<std::string, std::map<std::string, std::string>> json_elements(const std::string& json) {
  std::map<std::string, std::map<std::string, std::string>> out;
  const std::regex object(R"re(\{"name": "([^"]+)"([^{}]*)\})re");
  const std::regex field(R"re("(\w+)": ("[^"]*"|[-0-9.]+|true|false))re");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), object); it != std::sregex_iterator(); ++it) {
    auto& fields = out[(*it)[1]];
    const std::string rest = (*it)[2];
    for (auto f = std::sregex_iterator(rest.begin(), rest.end(), field); f != std::sregex_iterator(); ++f) {
      fields[(*f)[1]] = (*f)[2];
    }
  }
  return out;
}

inline std::string json_top(const std::string& json, const std::string& key) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\n  \"" + key + R"re(": ("[^"]*"|[-0-9.]+|true|false))re"))) return m[1];
  return "";
}

/// How a child is started.
struct StartOptions {
  bool own_process_group = false;   // like a shell job: kill(-pid, ...) reaches it and nothing else
  std::vector<std::string> env;     // "NAME=value", on top of this process's environment
};

/// Starts children with their output in files under `dir`.
class ChildRunner {
 public:
  explicit ChildRunner(fs::path dir) : dir_(std::move(dir)) {}

  Child start(std::vector<std::string> args, const StartOptions& options = {}) {
    Child child;
    const std::string tag = std::to_string(counter_++);
    child.out = dir_ / ("out" + tag);
    child.err = dir_ / ("err" + tag);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, child.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, child.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    if (options.own_process_group) {
      posix_spawnattr_setpgroup(&attributes, 0);
      posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_text = options.env;
    for (char** e = environ; *e; ++e) env_text.emplace_back(*e);  // the first of a name wins
    std::vector<char*> envp;
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int rc = posix_spawn(&child.pid, argv[0], &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    EXPECT_EQ(rc, 0) << "cannot start " << args[0];
    return child;
  }

  /// Waits for the child; kills it (and fails) after `limit`.
  Result finish(const Child& child, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    Result r;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(child.pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "child did not end within " << limit.count() << " ms; killing it";
        ::kill(child.pid, SIGKILL);
        ::waitpid(child.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_all(child.out);
    r.err = read_all(child.err);
    return r;
  }

  Result run(std::vector<std::string> args, const StartOptions& options = {}) {
    return finish(start(std::move(args), options));
  }

 private:
  fs::path dir_;
  int counter_ = 0;
};

/// Processes of this PID namespace whose command line starts with `prefix` (a
/// renamed worker shows "sgn-worker:NAME") or whose name (comm) is `prefix`.
inline std::vector<pid_t> processes_named(const std::string& prefix) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string args, comm;
    std::getline(std::ifstream(entry.path() / "cmdline"), args, '\0');
    std::getline(std::ifstream(entry.path() / "comm"), comm);
    std::ifstream stat(entry.path() / "stat");
    std::string text;
    std::getline(stat, text);
    const auto close = text.rfind(')');
    if (close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z') continue;  // a zombie
    if (args.rfind(prefix, 0) == 0 || comm == prefix) found.push_back(std::stoi(name));
  }
  return found;
}

}  // namespace sgn::test
