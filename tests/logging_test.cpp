// Log levels by name in any case, and the hook that clears a progress line before
// every log line.

#include <gtest/gtest.h>
#include <sgn/logging.hpp>

#include <atomic>

namespace sgn {
namespace {

TEST(LoggingTest, LevelNamesInAnyCase) {
  EXPECT_EQ(parse_log_level("debug"), spdlog::level::debug);
  EXPECT_EQ(parse_log_level("DEBUG"), spdlog::level::debug);
  EXPECT_EQ(parse_log_level("Warning"), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("warn"), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("error"), spdlog::level::err);
  EXPECT_EQ(parse_log_level("OFF"), spdlog::level::off);
  EXPECT_EQ(parse_log_level("trace"), spdlog::level::trace);
  EXPECT_FALSE(parse_log_level("loud"));
  EXPECT_FALSE(parse_log_level(""));
}

TEST(LoggingTest, TheHookRunsBeforeEveryLogLineOnly) {
  set_log_level(spdlog::level::info);
  std::atomic<int> calls{0};
  set_before_log_line([&] { ++calls; });
  auto log = logger("logging-test");
  log->info("one");
  log->debug("below the level: not written, no hook");
  log->warn("two");
  EXPECT_EQ(calls.load(), 2);
  with_log_output_locked([&] { ++calls; });
  EXPECT_EQ(calls.load(), 3);
  set_before_log_line({});
  log->info("three");
  EXPECT_EQ(calls.load(), 3);
}

}  // namespace
}  // namespace sgn
