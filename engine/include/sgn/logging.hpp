#pragma once
/// Logging: one spdlog logger per element, named "sgn.<element>".
/// The level comes from SGN_LOG_LEVEL (trace, debug, info, warn, error, off) or set_log_level().

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace sgn {

/// Sets the level of every sgn logger, now and later.
void set_log_level(spdlog::level::level_enum level);
spdlog::level::level_enum log_level();
/// The logger "sgn.<name>", made on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

}  // namespace sgn
