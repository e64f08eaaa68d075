#include "sgn/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <mutex>

namespace sgn {
namespace {

// Serialises every log line and whatever else shares the terminal with them. Never
// destroyed (as the sink): exit handlers may still log after static destructors ran.
std::mutex& output_mutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}

std::function<void()>& before_line_hook() {
  static auto* hook = new std::function<void()>;
  return *hook;
}

// Standard error (in colour on a terminal), after the hook that clears a progress line.
class ClearingSink final : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    std::lock_guard lock(output_mutex());
    if (before_line_hook()) before_line_hook()();
    out_.log(msg);
  }
  void flush() override {
    std::lock_guard lock(output_mutex());
    out_.flush();
  }
  void set_pattern(const std::string& pattern) override { out_.set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override { out_.set_formatter(std::move(formatter)); }

 private:
  spdlog::sinks::stderr_color_sink_st out_;
};

std::shared_ptr<ClearingSink> shared_sink() {
  static auto* sink = [] {
    auto* made = new std::shared_ptr<ClearingSink>(std::make_shared<ClearingSink>());
    (*made)->set_pattern("[%H:%M:%S.%e] [%n] [%^%l%$] %v");
    return made;
  }();
  return *sink;
}

spdlog::level::level_enum level_from_env(std::atomic<bool>& invalid) {
  const char* text = std::getenv("SGN_LOG_LEVEL");
  if (!text || !*text) return spdlog::level::info;
  if (const auto level = parse_log_level(text)) return *level;
  invalid = true;
  return spdlog::level::info;
}

std::atomic<bool> g_invalid_env_level{false};

std::atomic<spdlog::level::level_enum>& current_level() {
  static std::atomic<spdlog::level::level_enum> level{level_from_env(g_invalid_env_level)};
  return level;
}

std::mutex& loggers_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "trace") return spdlog::level::trace;
  if (lower == "debug") return spdlog::level::debug;
  if (lower == "info") return spdlog::level::info;
  if (lower == "warn" || lower == "warning") return spdlog::level::warn;
  if (lower == "error" || lower == "err") return spdlog::level::err;
  if (lower == "critical") return spdlog::level::critical;
  if (lower == "off") return spdlog::level::off;
  return std::nullopt;
}

void set_log_level(spdlog::level::level_enum level) {
  current_level().store(level);
  g_invalid_env_level.store(false);  // chosen explicitly: SGN_LOG_LEVEL no longer matters
  std::lock_guard lock(loggers_mutex());
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) {
    if (l->name().rfind("sgn", 0) == 0) l->set_level(level);
  });
}

spdlog::level::level_enum log_level() { return current_level().load(); }

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
  const std::string full = name.empty() ? "sgn" : "sgn." + name;
  std::shared_ptr<spdlog::logger> made;
  {
    std::lock_guard lock(loggers_mutex());
    if (auto existing = spdlog::get(full)) return existing;
    made = std::make_shared<spdlog::logger>(full, shared_sink());
    made->set_level(current_level().load());
    spdlog::register_logger(made);
  }
  static std::once_flag warned;
  std::call_once(warned, [&] {
    if (g_invalid_env_level.load() && current_level().load() <= spdlog::level::warn) {
      made->warn("SGN_LOG_LEVEL='{}' is not a log level (trace, debug, info, warn, error, off): using info",
                 std::getenv("SGN_LOG_LEVEL") ? std::getenv("SGN_LOG_LEVEL") : "");
    }
  });
  return made;
}

void set_before_log_line(std::function<void()> before_line) {
  std::lock_guard lock(output_mutex());
  before_line_hook() = std::move(before_line);
}

void with_log_output_locked(const std::function<void()>& write) {
  std::lock_guard lock(output_mutex());
  write();
}

}  // namespace sgn
