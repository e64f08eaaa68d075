#pragma once
/// Logging: one spdlog logger per element, named "sgn.<element>", all writing to
/// standard error through one sink.
/// The level comes from SGN_LOG_LEVEL (trace, debug, info, warn, error, off, in any
/// case; anything else is warned about and gives info) or set_log_level().

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sgn {

/// Sets the level of every sgn logger, now and later (an invalid SGN_LOG_LEVEL is then
/// no longer warned about: the first logger made warns about it otherwise).
void set_log_level(spdlog::level::level_enum level);
spdlog::level::level_enum log_level();
/// The logger "sgn.<name>", made on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

/// A level name (trace, debug, info, warn, warning, error, err, critical, off; any
/// case), or nothing for another text.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text);

/// Runs `before_line` before every log line is written, under the lock that keeps log
/// lines whole (a live progress line clears itself there); an empty function removes it.
void set_before_log_line(std::function<void()> before_line);
/// Runs `write` under that same lock: terminal output that must not interleave with a
/// log line (drawing the progress line).
void with_log_output_locked(const std::function<void()>& write);

}  // namespace sgn
