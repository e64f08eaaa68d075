// The fault suite: each fault is injected from outside into a running sgn-launch
// (started like a shell job, in a process group of its own), and the test asserts
// the outcome, the exit code, how soon it came, and that nothing is left: no
// process (worker, RouDi, keeper), nothing in /dev/shm, /tmp or the runtime
// directory. Runs under support/private_shm.sh (private mount and PID namespaces,
// as root), which checks once more at the end. The unprivileged-user attacks run
// as nobody through setpriv.

#include <sys/file.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "support/child_process.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using sgn::test::Child;
using sgn::test::ChildRunner;
using sgn::test::json_elements;
using sgn::test::json_top;
using sgn::test::processes_named;
using sgn::test::read_all;
using sgn::test::Result;
using sgn::test::StartOptions;
using sgn::test::wait_until;

const std::string kLaunch = SGN_LAUNCH_PATH;

// Pipelines: an unpaced one (a worker is always busy), a paced one (2 frames/s: a
// worker is mostly idle and main mostly waits for the source's clock).
const std::string kUnpaced = "bytes-source size=1024 frames=0 name=src ! passthrough placement=process name=w ! null-sink name=sink";
const std::string kPaced =
    "sine-source realtime=true rate=2048 samples=1024 frames=0 name=src ! fir taps=8 placement=process name=w ! "
    "stats-sink name=sink";

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

/// `seconds` from `a` to `b`, also appended as "test measure seconds" to $SGN_FAULT_TIMES
/// when set (tests/soak/fault_soak.sh collects them).
double measured(const char* measure, Clock::time_point a, Clock::time_point b) {
  const double seconds = seconds_between(a, b);
  if (const char* path = std::getenv("SGN_FAULT_TIMES"); path && *path) {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::ofstream(path, std::ios::app) << test->test_suite_name() << "." << test->name() << " " << measure << " "
                                       << seconds << "\n";
  }
  return seconds;
}

/// What this test's runs may leave: processes of the engine and files in the shared places.
std::vector<std::string> leftovers(const fs::path& own_dir) {
  std::vector<std::string> found;
  for (const char* name : {"iox-roudi", "sgn-roudi-keep", "sgn-worker:", "sgn-launch"}) {
    for (pid_t pid : processes_named(name)) found.push_back(std::string(name) + " pid " + std::to_string(pid));
  }
  for (const char* dir : {"/dev/shm", "/tmp", "/run/sgn"}) {
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const fs::path path = entry.path();
      if (path == own_dir || own_dir.string().rfind(path.string() + "/", 0) == 0) continue;  // ours, or above it
      found.push_back(path.string());
    }
  }
  return found;
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += "\n  " + item;
  return text;
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sgn-fault-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    runner_.emplace(dir_);
    ASSERT_EQ(leftovers(dir_), std::vector<std::string>{}) << "a previous test left these";
  }
  void TearDown() override {
    // The keeper stops RouDi asynchronously once the last user is gone: within 2 s.
    std::vector<std::string> left;
    wait_until([&] { return (left = leftovers(dir_)).empty(); }, 3s);
    EXPECT_TRUE(left.empty()) << "left behind 3 s after the run:" << joined(left);
    fs::remove_all(dir_);
  }

  /// sgn-launch with `pipeline`, in a process group of its own.
  Child launch(const std::string& pipeline, std::vector<std::string> options = {}, StartOptions start = {}) {
    std::vector<std::string> args{kLaunch, "-q"};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(pipeline);
    start.own_process_group = true;
    return runner_->start(std::move(args), start);
  }

  /// Waits until the pipeline's worker process `name` runs; its pid.
  pid_t worker(const std::string& name) {
    std::vector<pid_t> pids;
    EXPECT_TRUE(wait_until([&] { return !(pids = processes_named("sgn-worker:" + name)).empty(); }, 30s))
        << "worker " << name << " never started";
    return pids.empty() ? -1 : pids.front();
  }

  /// Waits for "ERROR" in the child's standard error; when it appeared.
  Clock::time_point error_printed(const Child& child) {
    EXPECT_TRUE(wait_until([&] { return read_all(child.err).find("ERROR") != std::string::npos; }, 20s))
        << "no error printed: " << read_all(child.err);
    return Clock::now();
  }

  /// Waits for the child to end (at most `limit`); when it did, and how.
  std::pair<Clock::time_point, Result> exited(const Child& child, std::chrono::milliseconds limit) {
    Result result = runner_->finish(child, limit);
    return {Clock::now(), result};
  }

  fs::path dir_;
  std::optional<ChildRunner> runner_;
};

// A worker SIGKILLed while it publishes may hold a port mutex for good (iceoryx 2.0):
// the run must still end, promptly, and leave nothing.
TEST_F(FaultTest, AWorkerKilledUnderAnUnpacedStreamIsReportedAndTheLauncherExits) {
  const Child child = launch(kUnpaced);
  const pid_t w = worker("w");
  std::this_thread::sleep_for(200ms);  // frames flow
  const auto killed = Clock::now();
  ASSERT_EQ(::kill(w, SIGKILL), 0);
  const auto printed = error_printed(child);
  const auto [ended, result] = exited(child, 10s);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("element w (process, pid " + std::to_string(w)), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("signal 9"), std::string::npos) << result.err;
  EXPECT_LT(measured("detected", killed, printed), 1.0) << "the death was reported late";
  EXPECT_LT(measured("exited", printed, ended), 1.0) << "the launcher hung after printing the error";
}

TEST_F(FaultTest, AWorkerKilledBehindAPacedSourceIsReportedAtOnce) {
  const Child child = launch(kPaced);
  const pid_t w = worker("w");
  std::this_thread::sleep_for(700ms);  // between two frames, main waits for the source's clock
  const auto killed = Clock::now();
  ASSERT_EQ(::kill(w, SIGKILL), 0);
  const auto printed = error_printed(child);
  const auto [ended, result] = exited(child, 10s);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_LT(measured("detected", killed, printed), 0.4) << "reported only when the paced source woke up";
  EXPECT_LT(measured("exited", printed, ended), 1.0);
}

TEST_F(FaultTest, AKilledLauncherTakesItsWorkersRouDiAndFilesWithIt) {
  const Child child = launch(kUnpaced);
  worker("w");
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(::kill(child.pid, SIGKILL), 0);
  const auto [ended, result] = exited(child, 5s);
  EXPECT_EQ(result.exit_code, 128 + SIGKILL);
  // Workers die with main; the keeper stops the RouDi nobody uses any more.
  EXPECT_TRUE(wait_until([] { return processes_named("sgn-worker:").empty(); }, 2s));
  EXPECT_TRUE(wait_until([] { return processes_named("iox-roudi").empty(); }, 2s)) << "RouDi outlived its users";
  measured("roudi-gone", ended, Clock::now());
  // The dead run's segments and iceoryx files go by the next run at the latest.
  const Result next = runner_->run({kLaunch, "-q", "bytes-source frames=50 ! passthrough placement=process ! null-sink"});
  EXPECT_EQ(next.exit_code, 0) << next.err;
}

TEST_F(FaultTest, RouDiKilledMidStreamFailsTheRunClearly) {
  const Child child = launch(kUnpaced);
  worker("w");
  std::this_thread::sleep_for(200ms);
  const auto roudis = processes_named("iox-roudi");
  ASSERT_EQ(roudis.size(), 1u);
  const auto killed = Clock::now();
  ASSERT_EQ(::kill(roudis[0], SIGKILL), 0);
  const auto printed = error_printed(child);
  const auto [ended, result] = exited(child, 10s);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("RouDi died"), std::string::npos) << result.err;
  // RouDi's death shows (its pidfd, its socket) only after the kernel has torn down its
  // 620 MB of mappings, and the run ends after the workers' exits do the same: tens of
  // ms idle, but 1.4 s was seen with four busy loops beside parallel process tests. The
  // bound is for "never hangs"; tests/soak/fault_soak.sh reports the distribution.
  EXPECT_LT(measured("detected", killed, printed), 3.0);
  EXPECT_LT(measured("exited", printed, ended), 3.0);
}

// RouDi stops answering (SIGSTOP) as the worker process starts, then dies: a worker that
// was asking it for a port waits for an answer that never comes (iceoryx 2.0 waits without
// a limit) and defers SIGTERM inside that call. The run still fails at once, clearly, and
// leaves nothing (it waited out the 10 s join timeout before).
TEST_F(FaultTest, RouDiKilledWhileAWorkerStartsFailsTheRunClearly) {
  const Child child = launch(kUnpaced);
  worker("w");
  const auto roudis = processes_named("iox-roudi");
  ASSERT_EQ(roudis.size(), 1u);
  ASSERT_EQ(::kill(roudis[0], SIGSTOP), 0);
  std::this_thread::sleep_for(300ms);  // the worker's next request to RouDi is sent, unanswered
  const auto killed = Clock::now();
  ASSERT_EQ(::kill(roudis[0], SIGKILL), 0);
  const auto printed = error_printed(child);
  const auto [ended, result] = exited(child, 15s);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("RouDi died"), std::string::npos) << result.err;
  EXPECT_LT(measured("detected", killed, printed), 4.0);
  EXPECT_LT(measured("exited", printed, ended), 3.0);
}

// A RouDi started by hand (someone else's, to the engine) that is stopped (SIGSTOP) before
// the pipeline starts: the launcher's registration waits for an answer inside iceoryx,
// which would wait 60 s and then abort. If that RouDi dies, or Ctrl+C comes, the launcher
// ends at once, saying why, and leaves nothing of its own.
class StoppedRoudiTest : public FaultTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(StoppedRoudiTest, EndsTheLauncherWaitingForItsAnswer) {
  const fs::path config = dir_ / "roudi.toml";
  std::ofstream(config) << "[general]\nversion = 1\n\n[[segment]]\n\n[[segment.mempool]]\nsize = 1024\ncount = 64\n";
  const Child roudi = runner_->start({"/usr/bin/iox-roudi", "-l", "error", "-c", config.string()});
  ASSERT_TRUE(wait_until([] { return fs::exists("/tmp/roudi"); }, 20s)) << read_all(roudi.err);
  ASSERT_EQ(::kill(roudi.pid, SIGSTOP), 0);
  const Child child = launch(kPaced);
  // It asked (its iceoryx socket exists) and waits.
  ASSERT_TRUE(wait_until([] {
    for (const auto& entry : fs::directory_iterator("/tmp")) {
      if (entry.path().filename().string().rfind("sgn_", 0) == 0) return true;
    }
    return false;
  }, 20s));
  std::this_thread::sleep_for(300ms);
  const auto acted = Clock::now();
  const bool kill_roudi = GetParam() == "RouDiKilled";
  ASSERT_EQ(::kill(kill_roudi ? roudi.pid : child.pid, kill_roudi ? SIGKILL : SIGINT), 0);
  const auto [ended, result] = exited(child, 10s);
  EXPECT_EQ(result.exit_code, kill_roudi ? 1 : 130) << result.err;
  EXPECT_NE(result.err.find(kill_roudi ? "RouDi died while this process waited for its answer (registration)"
                                       : "interrupted while waiting"),
            std::string::npos)
      << result.err;
  EXPECT_LT(measured("ended", acted, ended), 3.0);
  if (!kill_roudi) ::kill(roudi.pid, SIGKILL);
  runner_->finish(roudi, 10s);
  // RouDi's own files: it was the test's, not the engine's, and it died.
  for (const char* path : {"/tmp/roudi", "/tmp/roudi.lock", "/tmp/iox-unique-roudi.lock", "/dev/shm/iceoryx_mgmt"}) {
    fs::remove(path);
  }
  for (const auto& entry : fs::directory_iterator("/dev/shm")) fs::remove(entry.path());  // its data segment
}

INSTANTIATE_TEST_SUITE_P(Ends, StoppedRoudiTest, ::testing::Values("RouDiKilled", "CtrlC"),
                         [](const auto& param_info) { return param_info.param; });

/// A directory with an `iox-roudi` that takes `delay` to come up, first on PATH.
struct SlowRoudi {
  fs::path dir;
  explicit SlowRoudi(const fs::path& parent, const std::string& delay) : dir(parent / "slow-roudi") {
    fs::create_directories(dir);
    std::ofstream(dir / "iox-roudi") << "#!/bin/sh\nsleep " << delay << "\nexec /usr/bin/iox-roudi \"$@\"\n";
    fs::permissions(dir / "iox-roudi", fs::perms::owner_all);
  }
  std::string path_env() const { return "PATH=" + dir.string() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : ""); }
};

class SignalDuringStartTest : public FaultTest, public ::testing::WithParamInterface<int> {};

TEST_P(SignalDuringStartTest, IsHonouredAndTheStartIsAbandonedCleanly) {
  const SlowRoudi slow(dir_, "2");
  const Child child = launch(kUnpaced, {}, StartOptions{.env = {slow.path_env()}});
  // RouDi is starting (its start script sleeps 2 s): the signal must not wait for it.
  ASSERT_TRUE(wait_until([] { return !processes_named("sgn-roudi-keep").empty(); }, 10s));
  std::this_thread::sleep_for(100ms);
  const auto sent = Clock::now();
  ASSERT_EQ(::kill(child.pid, GetParam()), 0);
  const auto [ended, result] = exited(child, 10s);
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_LT(measured("exited", sent, ended), 1.0) << "the start-up was not abandoned at once";
  EXPECT_TRUE(processes_named("sgn-worker:").empty());
}

INSTANTIATE_TEST_SUITE_P(Signals, SignalDuringStartTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& param_info) { return param_info.param == SIGINT ? "SIGINT" : "SIGTERM"; });

// What timeout(1), systemd (KillMode=mixed) and `kill -TERM -PGID` do.
TEST_F(FaultTest, SigtermToTheProcessGroupDrainsWithExit130) {
  const fs::path json = dir_ / "group.json";
  const Child child = launch(kPaced, {"--json", json.string()});
  worker("w");
  std::this_thread::sleep_for(1200ms);  // two frames
  ASSERT_EQ(::kill(-child.pid, SIGTERM), 0);
  const auto [ended, result] = exited(child, 10s);
  EXPECT_EQ(result.exit_code, 130) << result.err;
  const std::string text = read_all(json);
  EXPECT_EQ(json_top(text, "stopped"), "false") << text;
  auto elements = json_elements(text);
  EXPECT_NE(elements["src"]["frames_out"], "0") << text;
  EXPECT_EQ(elements["w"]["frames_in"], elements["src"]["frames_out"]) << "a frame was lost in the drain: " << text;
  EXPECT_EQ(elements["sink"]["frames_in"], elements["src"]["frames_out"]) << text;
}

TEST_F(FaultTest, ASecondSignalStopsWithoutDraining) {
  const fs::path json = dir_ / "second.json";
  const Child child = launch(kUnpaced, {"--json", json.string()});
  worker("w");
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(::kill(child.pid, SIGINT), 0);
  ASSERT_EQ(::kill(child.pid, SIGINT), 0);
  const auto [ended, result] = exited(child, 10s);
  EXPECT_EQ(result.exit_code, 130) << result.err;
  const std::string text = read_all(json);
  auto elements = json_elements(text);
  // Whether it drained or stopped, every frame is accounted for on each link.
  const auto value = [&](const char* element, const char* field) { return std::stoull(elements[element][field]); };
  EXPECT_EQ(value("src", "frames_out"), value("w", "frames_in") + value("w", "discarded")) << text;
  EXPECT_EQ(value("w", "frames_out"), value("sink", "frames_in") + value("sink", "discarded")) << text;
}

// Ctrl+Z: the whole job stops (main, and the workers: they wait on main); RouDi must
// not drop the stopped processes (it runs without its own monitoring).
TEST_F(FaultTest, StoppedForLongerThanRouDisMonitoringAllowsTheRunCompletes) {
  const fs::path json = dir_ / "ctrl-z.json";
  const Child child = launch(
      "sine-source realtime=true rate=16384 samples=1024 frames=40 name=src ! fir taps=8 placement=process name=w ! "
      "stats-sink name=sink",
      {"--json", json.string()});
  worker("w");
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(::kill(-child.pid, SIGTSTP), 0);
  // RouDi's monitoring would drop an app after 1.5 s. CI stops it 2.5 s; the soak 10 s.
  const char* stop_ms = std::getenv("SGN_FAULT_STOP_MS");
  std::this_thread::sleep_for(std::chrono::milliseconds(stop_ms ? std::atoll(stop_ms) : 2500));
  ASSERT_EQ(::kill(-child.pid, SIGCONT), 0);
  const auto [ended, result] = exited(child, 60s);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  auto elements = json_elements(read_all(json));
  EXPECT_EQ(elements["sink"]["frames_in"], "40") << read_all(json);
}

TEST_F(FaultTest, ElementNamesLongerThanIceoryxServicesRunSideBySide) {
  const std::string a(120, 'a'), b = std::string(119, 'a') + "b";
  const Result result = runner_->run({kLaunch, "-q", "bytes-source frames=200 fill=index ! passthrough placement=process name=" + a +
                                                         " ! null-sink  bytes-source frames=300 fill=index ! passthrough "
                                                         "placement=process name=" +
                                                         b + " ! null-sink",
                                      "--json", (dir_ / "long.json").string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  auto elements = json_elements(read_all(dir_ / "long.json"));
  EXPECT_EQ(elements[a]["frames_out"], "200");
  EXPECT_EQ(elements[b]["frames_out"], "300");
}

// ---------------------------------------------------------------- another user
// Root's pipeline next to an unprivileged user's traps on every shared name the
// engine ever used or could be guessed to use. Needs root (this suite runs as root
// in its private namespaces).

/// Runs `script` as nobody (uid/gid 65534) in the background, in a process group of
/// its own (its pid) so that everything it starts can be ended together.
pid_t as_nobody(const std::string& script) {
  std::vector<std::string> args{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                                "/bin/sh", "-c", script};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], nullptr, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  return rc == 0 ? pid : -1;
}

struct FileState {
  bool exists = false;
  std::string content;
  uid_t owner = 0;
  static FileState of(const fs::path& path) {
    FileState state;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return state;
    state.exists = true;
    state.owner = st.st_uid;
    state.content = S_ISREG(st.st_mode) ? read_all(path) : std::string();
    return state;
  }
  bool operator==(const FileState&) const = default;
};

class AnotherUserTest : public FaultTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root, to act as another user";
    FaultTest::SetUp();
    // A root-only file an attacker would like root to overwrite.
    target_ = dir_ / "root-only";
    std::ofstream(target_) << "precious\n";
    fs::permissions(target_, fs::perms::owner_read | fs::perms::owner_write);
  }
  void TearDown() override {
    if (::geteuid() != 0) return;
    for (pid_t pid : helpers_) {
      ::kill(-pid, SIGKILL);  // the script and what it started
      ::waitpid(pid, nullptr, 0);
    }
    for (const auto& path : planted_) fs::remove_all(path);
    FaultTest::TearDown();
  }
  void plant(const std::string& script, std::vector<fs::path> paths) {
    const pid_t pid = as_nobody(script);
    ASSERT_GT(pid, 0);
    helpers_.push_back(pid);
    planted_.insert(planted_.end(), paths.begin(), paths.end());
  }
  /// Waits until nobody's script has created `path`.
  void planted(const fs::path& path) {
    ASSERT_TRUE(wait_until([&] { return FileState::of(path).exists; }, 5s)) << path << " was not planted";
  }
  Result root_pipeline(std::vector<std::string> env = {}) {
    return runner_->run({kLaunch, "-q", "bytes-source frames=300 ! passthrough placement=process ! null-sink"},
                        StartOptions{.env = std::move(env)});
  }

  fs::path target_;
  std::vector<pid_t> helpers_;
  std::vector<fs::path> planted_;
};

TEST_F(AnotherUserTest, LinksAndLocksOnTheOldFixedNamesDoNotReachRoot) {
  // The names earlier versions used in /tmp: links to a root-only file, and locks held.
  plant("ln -s " + target_.string() + " /tmp/sgn-roudi.pid && ln -s " + target_.string() +
            " /tmp/sgn-roudi.users.link && touch /tmp/sgn-roudi.users && exec flock -x /tmp/sgn-roudi.users sleep 600",
        {"/tmp/sgn-roudi.pid", "/tmp/sgn-roudi.users", "/tmp/sgn-roudi.users.link"});
  planted("/tmp/sgn-roudi.users");
  const FileState before = FileState::of(target_);
  const Result result = root_pipeline();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(FileState::of(target_), before) << "root wrote through another user's link";
  EXPECT_EQ(::kill(helpers_.front(), 0), 0) << "the other user's process was disturbed";
}

TEST_F(AnotherUserTest, SquattedSharedMemoryAndIceoryxNamesAreLeftAloneAndDoNotBlock) {
  // Names that look like the engine's (any token), as files of another user.
  const std::vector<fs::path> squats{"/dev/shm/sgn.0123456789abcdef.0.ctl", "/dev/shm/sgn.1.ctl",
                                     "/tmp/sgn_0123456789abcdef_m", "/tmp/sgn_0123456789abcdef_m.lock"};
  std::string script;
  for (const auto& path : squats) script += "touch " + path.string() + " && ";
  plant(script + "exec sleep 600", squats);
  for (const auto& path : squats) planted(path);
  const Result result = root_pipeline();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  for (const auto& path : squats) {
    EXPECT_EQ(FileState::of(path).owner, 65534u) << path << " was removed or replaced";
  }
}

TEST_F(AnotherUserTest, ARuntimeDirectoryOfAnotherUserIsNotUsed) {
  // XDG_RUNTIME_DIR pointing at a directory another user owns (and could fill with links).
  const fs::path evil = "/tmp/evil-xdg";
  plant("mkdir -m 0700 " + evil.string() + " && ln -s " + target_.string() + " " + evil.string() +
            "/sgn && exec sleep 600",
        {evil});
  planted(evil / "sgn");
  const FileState before = FileState::of(target_);
  const Result result = root_pipeline({"XDG_RUNTIME_DIR=" + evil.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(FileState::of(target_), before);
}

TEST_F(AnotherUserTest, ALinkOnIceoryxsOwnLockIsRefusedNotFollowed) {
  // iceoryx's fixed names are out of the engine's hands: it refuses to start RouDi
  // on a planted link instead of following it, and says which path is wrong.
  plant("ln -s " + target_.string() + " /tmp/iox-unique-roudi.lock && exec sleep 600", {"/tmp/iox-unique-roudi.lock"});
  planted("/tmp/iox-unique-roudi.lock");
  const FileState before = FileState::of(target_);
  const auto start = Clock::now();
  const Result result = root_pipeline();
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("/tmp/iox-unique-roudi.lock"), std::string::npos) << result.err;
  EXPECT_LT(seconds_between(start, Clock::now()), 5.0) << "a refusal must come at once";
  EXPECT_EQ(FileState::of(target_), before);
}

}  // namespace
