// The RouDi keeper end to end, with a real RouDi, in private namespaces
// (support/private_shm.sh, which also fails the test if any process or file is
// left a few seconds after it): however the last sgn process ends, the RouDi
// the engine started goes, with its keeper and every file; a dead run's files
// are removed; an interrupted start leaves nothing; a planted roudi.pid is not
// believed.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sgn/init.hpp>
#include <sgn/pipeline.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <thread>

#include "common/shm_segment.hpp"
#include "process/process_runtime.hpp"
#include "roudi/mempool_table.hpp"
#include "roudi/roudi_keeper.hpp"
#include "roudi/roudi_supervisor.hpp"
#include "roudi/run_record.hpp"
#include "support/process_helpers.hpp"
#include "support/run_helpers.hpp"
#include "support/test_elements.hpp"

namespace sgn {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using detail::EngineRecord;
using test::Clock;
using test::gone_or_zombie;
using test::within;

constexpr char kHelperEnv[] = "SGN_TEST_KEEPER_HELPER";  // "<what>:<report fd>"

/// A tiny RouDi config, for tests that start RouDi themselves (fast, little memory).
constexpr char kSmallConfig[] =
    "[general]\nversion = 1\n[[segment]]\n[[segment.mempool]]\nsize = 256\ncount = 64\n";

/// Live processes of this namespace named `comm`.
std::vector<pid_t> processes_named(const std::string& comm) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string command;
    std::getline(std::ifstream(entry.path() / "comm"), command);
    const pid_t pid = std::stoi(name);
    if (command == comm && !gone_or_zombie(pid)) found.push_back(pid);
  }
  return found;
}

/// What the engine or iceoryx left in the shared places, and the runtime directory.
std::vector<std::string> leftovers() {
  const std::string run = detail::runtime_dir_location();  // itself in /tmp for a user other than root
  std::vector<std::string> found;
  for (const char* dir : {"/dev/shm", "/tmp"}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename();
      if ((name.rfind("sgn", 0) == 0 || name.rfind("roudi", 0) == 0 || name.rfind("iox", 0) == 0 ||
           name == "iceoryx_mgmt" || name == fs::path(detail::iceoryx_data_segment_path()).filename()) &&
          entry.path() != run) {
        found.push_back(entry.path());
      }
    }
  }
  if (fs::exists(run)) {
    for (const auto& entry : fs::directory_iterator(run)) found.push_back(entry.path());
  }
  return found;
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += item + " ";
  return text;
}

std::optional<EngineRecord> engine_record() {
  std::ifstream in(fs::path(detail::runtime_dir_location()) / detail::kEnginePidFile);
  std::stringstream text;
  text << in.rdbuf();
  return EngineRecord::parse(text.str());
}

bool nothing_runs() { return processes_named("iox-roudi").empty() && processes_named(detail::kKeeperName).empty(); }

/// A pipeline with one process-placed element that runs until stopped (or `count` frames).
Pipeline endless_pipeline(const char* record, const char* count = "-1") {
  Pipeline p;
  p.add("test-count-source", "src", {{"count", count}, {"sleep_us", "1000"}})
      .add("test-transform", "t", {}, Placement::Process)
      .add("test-check-sink", "sink", {{"record", record}});
  p.link("src", "t").link("t", "sink");
  return p;
}

void run_short_pipeline(const char* record) {
  Pipeline p = endless_pipeline(record, "20");
  const RunReport report = test::run_within(p, 30s);
  EXPECT_EQ(report.find("sink")->frames_in, 20u);
}

/// This binary started again as KeeperHelper.Acts doing `what`; `token` is the
/// process token it reports once it got there (empty if it did not within 30 s).
struct Helper : test::SelfHelper {
  std::string token;
};

Helper spawn_helper(const std::string& what) {
  Helper helper;
  static_cast<test::SelfHelper&>(helper) =
      test::SelfHelper::spawn("KeeperHelper.Acts", {std::string(kHelperEnv) + "=" + what + ":3"});
  if (helper.pid > 0) helper.token = helper.read_line();
  if (what != "short") helper.release();  // only a "short" helper waits for that
  return helper;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

class KeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (detail::roudi_answers()) GTEST_SKIP() << "a RouDi already runs in this namespace";
  }
};

// The brief's promise: a user SIGKILLed mid-stream, the last one, takes its
// RouDi, the keeper and all its files with it within 2 s.
TEST_F(KeeperTest, TheLastUserKilledMidStreamTakesRouDiItsKeeperAndItsFilesWithin2s) {
  Helper helper = spawn_helper("stream");
  ASSERT_EQ(helper.token.size(), 16u) << "the helper's pipeline did not get going";
  const auto record = engine_record();
  ASSERT_TRUE(record) << "the helper started RouDi";
  EXPECT_FALSE(gone_or_zombie(record->roudi_pid));
  EXPECT_FALSE(gone_or_zombie(record->keeper_pid));
  EXPECT_TRUE(fs::exists("/tmp/sgn_" + helper.token + "_main")) << "the helper's iceoryx runtime";

  const auto killed = Clock::now();
  ASSERT_EQ(::kill(helper.pid, SIGKILL), 0);
  wait_exit(helper.pid);
  ASSERT_TRUE(within(2s, [&] { return gone_or_zombie(record->roudi_pid); })) << "RouDi still runs after 2 s";
  const auto roudi_gone = Clock::now() - killed;
  EXPECT_TRUE(within(2s, [&] { return gone_or_zombie(record->keeper_pid); }));
  EXPECT_TRUE(within(2s, [&] { return leftovers().empty(); })) << joined(leftovers());
  std::cout << "[ measured ] RouDi gone "
            << std::chrono::duration_cast<std::chrono::microseconds>(roudi_gone).count()
            << " us after its last user was SIGKILLed; everything gone "
            << std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - killed).count() << " us\n";
}

TEST_F(KeeperTest, TheLastUserExitingNormallyTakesRouDiWithIt) {
  Helper helper = spawn_helper("short");
  ASSERT_EQ(helper.token.size(), 16u);
  const auto record = engine_record();
  helper.release();
  const int status = wait_exit(helper.pid);
  ASSERT_TRUE(record);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the helper's pipeline failed";
  EXPECT_TRUE(within(2s, [&] { return gone_or_zombie(record->roudi_pid) && gone_or_zombie(record->keeper_pid); }));
  EXPECT_TRUE(within(2s, [&] { return leftovers().empty(); })) << joined(leftovers());
}

// While this process uses RouDi the keeper leaves it running, so a SIGKILLed
// helper's files stay until the next run here removes them.
TEST_F(KeeperTest, TheNextRunRemovesTheFilesOfADeadRun) {
  run_short_pipeline("first");  // RouDi started; this process is a user until it exits
  const auto record = engine_record();
  ASSERT_TRUE(record);
  Helper helper = spawn_helper("idle");
  ASSERT_EQ(helper.token.size(), 16u);
  const fs::path segment = "/dev/shm/sgn." + helper.token + ".test";
  const fs::path runtime = "/tmp/sgn_" + helper.token + "_main";
  const fs::path run_record = fs::path(detail::runtime_dir_location()) / ("run-" + helper.token);
  ::kill(helper.pid, SIGKILL);
  wait_exit(helper.pid);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(gone_or_zombie(record->roudi_pid)) << "RouDi stays while this process uses it";
  EXPECT_TRUE(fs::exists(segment));
  EXPECT_TRUE(fs::exists(runtime));
  EXPECT_TRUE(fs::exists(run_record));

  run_short_pipeline("second");
  EXPECT_FALSE(fs::exists(segment));
  EXPECT_FALSE(fs::exists(runtime));
  EXPECT_FALSE(fs::exists(fs::path(runtime.string() + ".lock")));
  EXPECT_FALSE(fs::exists(run_record));
}

TEST_F(KeeperTest, AStartCancelledAfter100msLeavesNothing) {
  // A RouDi that takes 1 s to come up, so the cancellation lands while it starts.
  const fs::path slow = "/tmp/slow-iox-roudi";
  std::ofstream(slow) << "#!/bin/sh\nsleep 1\nexec /usr/bin/iox-roudi \"$@\"\n";
  fs::permissions(slow, fs::perms::owner_all);
  detail::RoudiPaths paths;
  paths.roudi_command = slow;
  detail::RoudiSupervisor supervisor(paths);
  std::atomic<bool> cancel{false};
  const auto started = Clock::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    cancel = true;
  });
  EXPECT_THROW(supervisor.ensure_running(kSmallConfig, 0, 20s, [&] { return cancel.load(); }),
               detail::StartCancelled);
  const auto returned = Clock::now() - started;
  canceller.join();
  EXPECT_LT(returned, 500ms) << "cancellation is prompt";
  EXPECT_TRUE(within(2s, [&] { return nothing_runs() && leftovers().empty(); }))
      << joined(leftovers()) << (nothing_runs() ? "" : "; RouDi or its keeper still runs");
  fs::remove(slow);
}

TEST_F(KeeperTest, AStopRequestedWhileRouDiStartsEndsTheRunAndLeavesNothing) {
  const fs::path dir = "/tmp/slow-roudi-bin";
  fs::create_directories(dir);
  std::ofstream(dir / "iox-roudi") << "#!/bin/sh\nsleep 1\nexec /usr/bin/iox-roudi \"$@\"\n";
  fs::permissions(dir / "iox-roudi", fs::perms::owner_all);
  const std::string saved = std::getenv("PATH");
  ::setenv("PATH", (dir.string() + ":" + saved).c_str(), 1);
  Pipeline p = endless_pipeline("stopped");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  std::this_thread::sleep_for(100ms);
  const auto requested = Clock::now();
  p.request_stop();
  ASSERT_EQ(run.wait_for(5s), std::future_status::ready);
  const auto returned = Clock::now() - requested;
  const RunReport report = run.get();
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_TRUE(report.interrupted);
  EXPECT_LT(returned, 500ms);
  fs::remove_all(dir);
  // This process keeps only its own record (removed at its exit).
  const auto ours = fs::path(detail::runtime_dir_location()) / ("run-" + detail::process_token());
  EXPECT_TRUE(within(2s, [&] {
    auto left = leftovers();
    std::erase(left, ours.string());
    return nothing_runs() && left.empty();
  })) << joined(leftovers());
}

TEST_F(KeeperTest, StartingRouDiAndStoppingItAfterTheLastUserLeftAreMeasured) {
  const std::string config = detail::roudi_config_text();
  const auto pools = detail::MempoolTable::parse(config);
  detail::RoudiSupervisor supervisor;
  const auto started = Clock::now();
  supervisor.ensure_running(config, pools.shm_bytes(), 20s);
  const auto start_took = Clock::now() - started;
  ASSERT_TRUE(supervisor.started_by_us());
  ASSERT_TRUE(supervisor.alive());
  EXPECT_EQ(supervisor.engine_config_text(), config);
  const pid_t roudi = supervisor.pid();
  const auto left = Clock::now();
  supervisor.leave();
  EXPECT_LT(Clock::now() - left, 50ms) << "leaving does not wait";
  ASSERT_TRUE(within(2s, [&] { return gone_or_zombie(roudi); }));
  const auto stop_took = Clock::now() - left;
  EXPECT_TRUE(within(2s, [&] { return nothing_runs() && leftovers().empty(); })) << joined(leftovers());
  std::cout << "[ measured ] RouDi (default config) ready in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(start_took).count() << " ms; stopped "
            << std::chrono::duration_cast<std::chrono::microseconds>(stop_took).count()
            << " us after its last user left\n";
}

TEST_F(KeeperTest, APlantedRoudiPidNamingAnotherProcessIsNotAdoptedOrSignalled) {
  // roudi.pid naming this very process, as RouDi and as keeper.
  const auto dir = detail::RuntimeDir::open_default();
  EngineRecord planted;
  planted.roudi_pid = planted.keeper_pid = ::getpid();
  planted.roudi_start = planted.keeper_start = detail::process_start_time(::getpid()).value();
  dir.write_atomically(detail::kEnginePidFile, planted.text());
  run_short_pipeline("planted");  // had it been believed, the start would not have happened
  const auto record = engine_record();
  ASSERT_TRUE(record);
  EXPECT_NE(record->roudi_pid, ::getpid());
  EXPECT_TRUE(record->roudi_alive());
  EXPECT_TRUE(record->keeper_alive());
}

TEST_F(KeeperTest, ARouDiWhoseKeeperWasKilledGetsANewOneFromTheNextUser) {
  run_short_pipeline("first");  // RouDi started; this process is a user until it exits
  const auto before = engine_record();
  ASSERT_TRUE(before);
  ASSERT_EQ(::kill(before->keeper_pid, SIGKILL), 0);
  ASSERT_TRUE(within(2s, [&] { return gone_or_zombie(before->keeper_pid); }));
  Helper helper = spawn_helper("short");
  ASSERT_EQ(helper.token.size(), 16u);
  helper.release();
  const int status = wait_exit(helper.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const auto after = engine_record();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->roudi_pid, before->roudi_pid) << "the same RouDi";
  EXPECT_NE(after->keeper_pid, before->keeper_pid);
  EXPECT_TRUE(after->keeper_alive()) << "a new keeper, which stops RouDi after this process exits";
  EXPECT_TRUE(after->roudi_alive());
}

// Runs inside a helper process started by the tests above.
TEST(KeeperHelper, Acts) {
  const char* spec = std::getenv(kHelperEnv);
  if (!spec) GTEST_SKIP() << "only run as the helper of another test";
  const std::string what(spec, std::strchr(spec, ':'));
  const int report = std::atoi(std::strchr(spec, ':') + 1);
  const auto tell = [&] {
    const std::string line = detail::process_token() + "\n";
    ASSERT_EQ(::write(report, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  };
  if (what == "short") {
    run_short_pipeline("helper");
    tell();
    pollfd released{report, POLLOUT, 0};  // until the test closes its end (it looks first)
    while (::poll(&released, 1, 30000) > 0 && (released.revents & POLLERR) == 0) {
      std::this_thread::sleep_for(5ms);
    }
    return;
  }
  if (what == "idle") {  // a process-mode process holding a segment and its iceoryx runtime
    detail::ProcessRuntime::instance().ensure_main();
    const auto segment = detail::ShmSegment::create("/sgn." + detail::process_token() + ".test", 4096);
    tell();
    std::this_thread::sleep_for(60s);  // killed by the test
    return;
  }
  auto& record = test::SinkRecord::named("stream");
  Pipeline p = endless_pipeline("stream");
  auto run = std::async(std::launch::async, [&] { return p.run(); });
  ASSERT_TRUE(within(30s, [&] {
    std::lock_guard lock(record.mutex);
    return record.sequences.size() >= 10;
  }));
  tell();
  std::this_thread::sleep_for(60s);  // killed by the test
  p.request_stop();
  run.get();
}

}  // namespace
}  // namespace sgn

int main(int argc, char** argv) {
  static sgn::Registry registry;  // the program's: pipelines use it by default
  sgn::test::register_test_elements(registry);
  sgn::init(argc, argv, registry);  // a worker process start ends here
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
