#include "sgn/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

namespace sgn {
namespace {

spdlog::level::level_enum level_from_env() {
  const char* text = std::getenv("SGN_LOG_LEVEL");
  if (!text || !*text) return spdlog::level::info;
  return spdlog::level::from_str(text);  // unknown text gives "off"
}

std::atomic<spdlog::level::level_enum>& current_level() {
  static std::atomic<spdlog::level::level_enum> level{level_from_env()};
  return level;
}

std::mutex& loggers_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

void set_log_level(spdlog::level::level_enum level) {
  current_level().store(level);
  std::lock_guard lock(loggers_mutex());
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) {
    if (l->name().rfind("sgn", 0) == 0) l->set_level(level);
  });
}

spdlog::level::level_enum log_level() { return current_level().load(); }

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
  const std::string full = name.empty() ? "sgn" : "sgn." + name;
  std::lock_guard lock(loggers_mutex());
  if (auto existing = spdlog::get(full)) return existing;
  auto made = spdlog::stderr_color_mt(full);
  made->set_level(current_level().load());
  made->set_pattern("[%H:%M:%S.%e] [%n] [%^%l%$] %v");
  return made;
}

}  // namespace sgn
