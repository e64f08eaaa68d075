// SIGINT/SIGTERM during run(): the first drains, the second stops, and the handlers
// that were there before come back. Signals go to a forked child that runs the
// pipeline, so the test process itself is never interrupted.

#include <gtest/gtest.h>
#include <poll.h>
#include <sgn/pipeline.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <numeric>
#include <thread>

#include "support/test_elements.hpp"

namespace sgn {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Writes one byte to `fd` on its first frame (the run, and its signal handlers, are live);
/// records sequences; sleeps `sleep_ms` per frame.
class NotifySink final : public Sink<schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-notify-sink", "tells a pipe when the first frame arrives",
            {property<std::int64_t>("fd", -1, "pipe to write to", -1, 1 << 20),
             property<std::int64_t>("sleep_ms", 0, "pause per frame", 0, 60'000)}};
  }
  explicit NotifySink(const ElementArgs& args)
      : Sink(args),
        fd_(static_cast<int>(properties().get<std::int64_t>("fd"))),
        sleep_ms_(properties().get<std::int64_t>("sleep_ms")) {}
  Flow consume(schema::Bytes::Reader, Context& ctx) override {
    if (sequences.empty() && fd_ >= 0) {
      const char byte = 's';
      [[maybe_unused]] const auto written = ::write(fd_, &byte, 1);
    }
    sequences.push_back(ctx.input_header()->sequence);
    if (sleep_ms_) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    return Flow::Ok;
  }
  void finish() override { finished = true; }

  static inline std::vector<std::uint64_t> sequences;  // one sink per (child) process
  static inline bool finished = false;

 private:
  int fd_;
  std::int64_t sleep_ms_;
};

enum ChildExit : int {
  kOk = 0,
  kRunThrew = 10,
  kNotInterrupted = 11,
  kWrongStopped = 12,
  kFramesMissing = 13,
  kNotFinished = 14,
};

/// Waits up to `limit` for `pid`; kills it if it is still there. Returns its wait status, or -1.
int wait_child(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  int status = 0;
  while (Clock::now() < deadline) {
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid) return status;
    std::this_thread::sleep_for(5ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

bool read_byte(int fd, std::chrono::milliseconds limit) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return false;
  char byte = 0;
  return ::read(fd, &byte, 1) == 1;
}

void expect_no_child_left() {
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

struct ChildPipeline {
  bool expect_stopped;
  std::int64_t sink_sleep_ms;
  std::chrono::microseconds spin{0};  // low-latency mode for every element
};

// In the child: run the pipeline, check its outcome, _exit with a ChildExit.
[[noreturn]] void child_main(int fd, const ChildPipeline& spec) {
  int code = kOk;
  try {
    Registry registry;
    test::register_test_elements(registry);
    registry.add<NotifySink>();
    Pipeline p(PipelineOptions{.registry = &registry, .spin = spec.spin});
    p.add("test-count-source", "src", {{"count", "-1"}, {"sleep_us", "1000"}}, Placement::Thread)
        .add("test-transform", "t", {}, Placement::Thread)
        .add("test-notify-sink", "sink",
             {{"fd", std::to_string(fd)}, {"sleep_ms", std::to_string(spec.sink_sleep_ms)}});
    p.link("src", "t").link("t", "sink");
    const RunReport report = p.run();
    std::vector<std::uint64_t> expected(NotifySink::sequences.size());
    std::iota(expected.begin(), expected.end(), 0);
    if (!report.interrupted) {
      code = kNotInterrupted;
    } else if (report.stopped != spec.expect_stopped) {
      code = kWrongStopped;
    } else if (!NotifySink::finished) {
      code = kNotFinished;
    } else if (!spec.expect_stopped && (NotifySink::sequences != expected ||
                                        report.find("src")->frames_out != NotifySink::sequences.size())) {
      code = kFramesMissing;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child: run() threw: %s\n", e.what());
    code = kRunThrew;
  }
  ::_exit(code);
}

// Forks a child running `spec`, waits for its first frame, sends `signals` (spaced
// by `gap`), and returns its wait status (-1: it did not end within `limit`).
int run_child(const ChildPipeline& spec, const std::vector<int>& signals, std::chrono::milliseconds gap,
              std::chrono::milliseconds limit, double* seconds_after_last_signal = nullptr) {
  int fds[2];
  if (::pipe(fds) != 0) return -2;
  const pid_t pid = ::fork();
  if (pid < 0) return -2;
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], spec);
  }
  ::close(fds[1]);
  const bool started = read_byte(fds[0], 10s);
  ::close(fds[0]);
  if (!started) {
    ADD_FAILURE() << "the child's pipeline never delivered a frame";
    return wait_child(pid, 0ms);
  }
  // Each signal waits `gap` first: before the first, that lets frames queue up,
  // so a drain is still going when a second signal comes.
  for (std::size_t i = 0; i < signals.size(); ++i) {
    std::this_thread::sleep_for(gap);
    ::kill(pid, signals[i]);
  }
  const auto sent = Clock::now();
  const int status = wait_child(pid, limit);
  if (seconds_after_last_signal) *seconds_after_last_signal = std::chrono::duration<double>(Clock::now() - sent).count();
  return status;
}

void expect_exit_ok(int status) {
  ASSERT_NE(status, -1) << "the child did not end in time";
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), kOk) << "see ChildExit";
}

class SignalTest : public ::testing::TestWithParam<int> {};

TEST_P(SignalTest, FirstSignalDrainsToEos) {
  const int status = run_child({.expect_stopped = false, .sink_sleep_ms = 0}, {GetParam()}, 0ms, 5s);
  expect_exit_ok(status);
  expect_no_child_left();
}

TEST_P(SignalTest, SecondSignalStopsAtOnce) {
  // A sink at 100 ms a frame behind a full queue would take ~10 s to drain.
  double seconds = 0;
  const int status =
      run_child({.expect_stopped = true, .sink_sleep_ms = 100}, {GetParam(), GetParam()}, 100ms, 8s, &seconds);
  expect_exit_ok(status);
  EXPECT_LT(seconds, 4.0);  // a drain would take ~10 s; the margin is for a loaded machine
  expect_no_child_left();
}

// Low-latency mode: the worker and main loops busy-poll (the longest spin allowed) between
// frames, and a signal still ends the drain, or the run, as without it.
TEST_P(SignalTest, FirstSignalDrainsToEosWhileSpinning) {
  const int status = run_child({.expect_stopped = false, .sink_sleep_ms = 0, .spin = kSpinLimit}, {GetParam()}, 0ms, 5s);
  expect_exit_ok(status);
  expect_no_child_left();
}

TEST_P(SignalTest, SecondSignalStopsAtOnceWhileSpinning) {
  double seconds = 0;
  const int status = run_child({.expect_stopped = true, .sink_sleep_ms = 100, .spin = kSpinLimit},
                               {GetParam(), GetParam()}, 100ms, 8s, &seconds);
  expect_exit_ok(status);
  EXPECT_LT(seconds, 4.0);
  expect_no_child_left();
}

INSTANTIATE_TEST_SUITE_P(Signals, SignalTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& param_info) { return param_info.param == SIGINT ? "SIGINT" : "SIGTERM"; });

std::atomic<int> g_custom_handler_calls{0};
extern "C" void custom_handler(int) { g_custom_handler_calls.fetch_add(1); }

using Handler = void (*)(int);
Handler current_handler(int signal) {
  struct sigaction now {};
  ::sigaction(signal, nullptr, &now);
  return now.sa_handler;
}

/// Records the SIGINT handler in force while it runs.
class HandlerProbe final : public Sink<schema::Bytes> {
 public:
  static ElementInfo describe() { return {"test-handler-probe", "sees the SIGINT handler during a run", {}}; }
  explicit HandlerProbe(const ElementArgs& args) : Sink(args) {}
  Flow consume(schema::Bytes::Reader, Context&) override {
    seen = current_handler(SIGINT);
    return Flow::Ok;
  }
  static inline Handler seen = nullptr;
};

TEST(Signals, PreviousHandlersAreRestoredAfterRun) {
  struct sigaction mine {}, old_int {}, old_term {};
  mine.sa_handler = custom_handler;
  sigemptyset(&mine.sa_mask);
  ASSERT_EQ(::sigaction(SIGINT, &mine, &old_int), 0);
  ASSERT_EQ(::sigaction(SIGTERM, &mine, &old_term), 0);
  for (bool handle : {true, false}) {
    Registry registry;
    test::register_test_elements(registry);
    registry.add<HandlerProbe>();
    Pipeline p(PipelineOptions{.handle_signals = handle, .registry = &registry});
    p.add("test-count-source", "src", {{"count", "5"}}, Placement::Thread).add("test-handler-probe", "sink");
    p.link("src", "sink");
    HandlerProbe::seen = nullptr;
    const RunReport report = p.run();
    EXPECT_FALSE(report.interrupted);
    EXPECT_EQ(HandlerProbe::seen != custom_handler, handle) << "handle_signals=" << handle;
    EXPECT_EQ(current_handler(SIGINT), custom_handler) << "handle_signals=" << handle;
    EXPECT_EQ(current_handler(SIGTERM), custom_handler) << "handle_signals=" << handle;
  }
  g_custom_handler_calls = 0;
  ::raise(SIGINT);
  EXPECT_EQ(g_custom_handler_calls.load(), 1);
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
}

}  // namespace
}  // namespace sgn
