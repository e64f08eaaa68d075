#pragma once
// Running a pipeline under a watchdog, so a hang fails one test instead of the suite.

#include <gtest/gtest.h>
#include <sgn/pipeline.hpp>

#include <chrono>
#include <future>

namespace sgn::test {

/// Runs `pipeline` on another thread; if it has not returned within `limit`, stops it
/// and records a failure. Returns run()'s result (or rethrows its exception).
inline RunReport run_within(Pipeline& pipeline, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto result = std::async(std::launch::async, [&] { return pipeline.run(); });
  if (result.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "run() did not return within " << limit.count() << " ms; stopping it";
    pipeline.request_stop();
  }
  return result.get();
}

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace sgn::test
