// RoudiRequest's watchdog, in child processes of this test: here no RouDi answers, so a
// call that waits for one ends its process, and one that returns at once does not.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "process/roudi_request.hpp"

namespace {

using namespace std::chrono_literals;

/// Runs `body` in a child process; its wait status once it ended (killed after 10 s).
template <class Body>
int in_child(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  for (int i = 0; i < 1000; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(RoudiRequestTest, ACallThatWaitsForADeadRouDiEndsItsProcessWithStatus1) {
  const auto start = std::chrono::steady_clock::now();
  const int status = in_child([] {
    sgn::detail::RoudiRequest request("the test's call");
    std::this_thread::sleep_for(5s);  // a call stuck inside iceoryx
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_LT(seconds, 3.0);
}

TEST(RoudiRequestTest, ACallThatReturnsAtOnceLeavesItsProcessAlone) {
  const int status = in_child([] {
    for (int i = 0; i < 100; ++i) sgn::detail::RoudiRequest request("a quick call");
    std::this_thread::sleep_for(300ms);  // the watchdog looks every 50 ms
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
