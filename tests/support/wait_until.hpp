#pragma once
// Waiting for an event a test can only observe (a file, a process, a lock), bounded.

#include <chrono>
#include <thread>

namespace sgn::test {

/// Polls `done()` every 2 ms for up to `limit`; true once it held.
template <class Done>
bool wait_until(Done done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace sgn::test
