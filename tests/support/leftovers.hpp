#pragma once
// What a process-placement test checks is gone once its pipelines have ended:
// this process's worker children and its pipelines' shared-memory segments.

#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "roudi/run_record.hpp"

namespace sgn::test {

/// Child processes of this one whose command line starts with `prefix`.
inline std::vector<pid_t> children_named(const std::string& prefix) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text;
    std::getline(stat, text);
    const auto close = text.rfind(')');  // the command name may hold spaces and ')'
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    char state;
    pid_t parent = 0;
    rest >> state >> parent;
    if (parent != ::getpid()) continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string args;
    std::getline(cmdline, args, '\0');
    if (args.rfind(prefix, 0) == 0) found.push_back(std::stoi(name));
  }
  return found;
}

/// Shared-memory segments this process's pipelines made ("sgn.<token>.<n>...").
inline std::vector<std::string> own_sgn_segments() {
  const std::string prefix = "sgn." + detail::process_token() + ".";
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm")) {
    const std::string name = entry.path().filename();
    if (name.rfind(prefix, 0) == 0) names.push_back(name);
  }
  return names;
}

}  // namespace sgn::test
