// Process mode at its limits: element names longer than iceoryx's service strings,
// a RouDi started by hand with pools other than ours (read back through iceoryx's
// introspection), and the largest frames the elements build. Runs under
// support/private_shm.sh: each test has its own /dev/shm, /tmp and RouDi.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sgn/elements/register.hpp>
#include <sgn/error.hpp>
#include <sgn/init.hpp>
#include <sgn/pipeline.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <thread>

#include "roudi/mempool_table.hpp"
#include "roudi/roudi_introspection.hpp"
#include "support/run_helpers.hpp"
#include "support/test_elements.hpp"

extern char** environ;

namespace sgn {
namespace {

using namespace std::chrono_literals;

/// Pools much smaller than those of roudi-config/sgn-default.toml (largest: 64 MiB).
constexpr const char* kSmallPools = R"([general]
version = 1

[[segment]]

[[segment.mempool]]
size = 128
count = 1000

[[segment.mempool]]
size = 1024
count = 500

[[segment.mempool]]
size = 16448
count = 40
)";
/// Payload bytes a frame may have on kSmallPools: the largest chunk less the 64-byte sgn header.
constexpr std::size_t kSmallLargestFrame = 16448 - 64;

bool roudi_socket_exists() { return std::filesystem::exists("/tmp/roudi"); }

/// An iox-roudi started by this test with `config`, as someone else would: the engine
/// attaches to it and never stops it. Stopped (and its config removed) when destroyed.
class HandStartedRoudi {
 public:
  explicit HandStartedRoudi(const std::string& config)
      : config_path_("/tmp/sgn-limits-roudi-" + std::to_string(::getpid()) + ".toml") {
    std::ofstream(config_path_) << config;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);  // "Reserving shared memory..."
    std::vector<std::string> args{"iox-roudi", "-l", "error", "-c", config_path_};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawnp(&pid_, "iox-roudi", &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 500 && pid_ > 0 && !roudi_socket_exists(); ++i) std::this_thread::sleep_for(10ms);
  }
  ~HandStartedRoudi() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::filesystem::remove(config_path_);
  }
  HandStartedRoudi(const HandStartedRoudi&) = delete;
  HandStartedRoudi& operator=(const HandStartedRoudi&) = delete;
  bool ready() const { return pid_ > 0 && roudi_socket_exists(); }

 private:
  std::string config_path_;
  pid_t pid_ = -1;
};

/// Runs ProcessLimitsHelper.`test` in a new process of this binary and returns its wait
/// status. The test process itself never registers with a hand-started RouDi: stopping
/// RouDi ends the processes registered with it.
int run_helper(const std::string& test) {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  std::string filter = "--gtest_filter=ProcessLimitsHelper." + test;
  char* argv[] = {exe, filter.data(), nullptr};
  std::vector<std::string> env_text{"SGN_TEST_LIMITS_HELPER=1"};
  for (char** e = environ; *e; ++e) env_text.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t helper = -1;
  if (::posix_spawn(&helper, exe, nullptr, nullptr, argv, envp.data()) != 0) return -1;
  int status = 0;
  return ::waitpid(helper, &status, 0) == helper ? status : -1;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

/// A count source, `transform` (placed in a worker process) and a recording sink.
void add_chain(Pipeline& p, const std::string& tag, const std::string& transform, std::size_t frames,
               std::size_t bytes = 8) {
  p.add("test-count-source", "src-" + tag, {{"count", std::to_string(frames)}, {"bytes", std::to_string(bytes)}})
      .add("test-transform", transform, {}, Placement::Process)
      .add("test-check-sink", "sink-" + tag, {{"record", tag}});
  p.link("src-" + tag, transform).link(transform, "sink-" + tag);
}

/// Every one of `frames` frames arrived once, in order.
void expect_all_in_order(const std::string& record_name, std::size_t frames) {
  auto& record = test::SinkRecord::named(record_name);
  std::lock_guard lock(record.mutex);
  std::vector<std::uint64_t> expected(frames);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(record.sequences, expected) << record_name;
  EXPECT_EQ(std::vector<std::uint64_t>(record.payload_index.begin(), record.payload_index.end()), expected)
      << record_name;
  EXPECT_TRUE(record.eos) << record_name;
}

// Helpers, run by the tests below in a process of their own.

TEST(ProcessLimitsHelper, ReadsThePoolsOfTheAttachedRouDi) {
  if (!std::getenv("SGN_TEST_LIMITS_HELPER")) GTEST_SKIP() << "only run as the helper of another test";
  test::SinkRecord::named("introspection").clear();
  Pipeline p;  // a process-mode run brings the iceoryx runtime up
  add_chain(p, "introspection", "t", 10);
  test::run_within(p, 30s);
  expect_all_in_order("introspection", 10);

  const auto read = detail::read_mempools_from_introspection(5s);
  ASSERT_TRUE(read.has_value()) << "no introspection sample within 5 s";
  const auto expected = detail::MempoolTable::parse(kSmallPools);
  ASSERT_EQ(read->pools.size(), expected.pools.size());
  for (std::size_t i = 0; i < expected.pools.size(); ++i) {
    EXPECT_EQ(read->pools[i].payload, expected.pools[i].payload) << "pool " << i;
    EXPECT_EQ(read->pools[i].count, expected.pools[i].count) << "pool " << i;
  }
  EXPECT_EQ(read->largest_payload(), 16448u);
}

TEST(ProcessLimitsHelper, SendsAFrameBiggerThanTheAttachedRouDiServes) {
  if (!std::getenv("SGN_TEST_LIMITS_HELPER")) GTEST_SKIP() << "only run as the helper of another test";
  // Bigger than kSmallPools' largest chunk, smaller than the default config's.
  constexpr std::size_t kBytes = 100000;
  const std::string frame_bytes = std::to_string(kBytes + 64);  // test-count-source loans bytes + 64
  Pipeline p;
  add_chain(p, "oversized", "t", 3, kBytes);
  try {
    test::run_within(p, 30s);
    FAIL() << "a " << frame_bytes << "-byte frame passed a RouDi whose largest frame is " << kSmallLargestFrame;
  } catch (const std::exception& e) {
    const std::string text = describe_exception(e);
    EXPECT_NE(text.find(frame_bytes), std::string::npos) << text;
    EXPECT_NE(text.find(std::to_string(kSmallLargestFrame)), std::string::npos) << text;
    EXPECT_TRUE(dynamic_cast<const FrameError*>(&e) || dynamic_cast<const ElementError*>(&e)) << text;
  }
}

class ProcessLimitsTest : public ::testing::Test {};

TEST_F(ProcessLimitsTest, TwoElementsWith120CharacterNamesRunSideBySide) {
  // iceoryx keeps 100 characters of a service string: these differ only after that.
  const std::string common(116, 'n');
  const std::string one = common + "-one", two = common + "-two";
  ASSERT_EQ(one.size(), 120u);
  constexpr std::size_t kFrames = 2000;
  test::SinkRecord::named("long-one").clear();
  test::SinkRecord::named("long-two").clear();
  Pipeline p;
  add_chain(p, "long-one", one, kFrames);
  add_chain(p, "long-two", two, kFrames);
  const RunReport report = test::run_within(p, 60s);
  EXPECT_EQ(report.find(one)->frames_out, kFrames);
  EXPECT_EQ(report.find(two)->frames_out, kFrames);
  expect_all_in_order("long-one", kFrames);
  expect_all_in_order("long-two", kFrames);
}

TEST_F(ProcessLimitsTest, IntrospectionReadsThePoolsOfARouDiStartedByHand) {
  if (roudi_socket_exists()) GTEST_SKIP() << "a RouDi already runs in this namespace";
  HandStartedRoudi roudi(kSmallPools);
  ASSERT_TRUE(roudi.ready()) << "iox-roudi did not come up";
  const int status = run_helper("ReadsThePoolsOfTheAttachedRouDi");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
}

// The check before a loan uses the pools of the RouDi in use (here read from its
// introspection), not this process's config (64 MiB): else iceoryx aborts the loan.
TEST_F(ProcessLimitsTest, AFrameTooBigForAForeignRouDiFailsNamingBothSizes) {
  if (roudi_socket_exists()) GTEST_SKIP() << "a RouDi already runs in this namespace";
  HandStartedRoudi roudi(kSmallPools);
  ASSERT_TRUE(roudi.ready()) << "iox-roudi did not come up";
  const int status = run_helper("SendsAFrameBiggerThanTheAttachedRouDiServes");
  EXPECT_FALSE(WIFSIGNALED(status)) << "the process died: " << describe_status(status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
}

TEST_F(ProcessLimitsTest, TheElementsLargestFramesFitTheDefaultPools) {
  // 64 MiB less 256 bytes of data: the bound of bytes-source's size and of sine-source's
  // channels * samples (floats), which one value more exceeds.
  const Registry& registry = Pipeline().registry();  // the one main() gave sgn::init
  const auto& size = registry.at("bytes-source").info.properties.front();
  ASSERT_EQ(size.name, "size");
  const auto largest = static_cast<std::int64_t>(*size.max);
  const std::string samples_per_frame = std::to_string(largest / 4);
  EXPECT_THROW(Pipeline().add("sine-source", "s", {{"samples", std::to_string(largest / 4 + 1)}}), PropertyError);

  // One frame at a time: the default config has 4 chunks of 64 MiB, which a frame
  // crossing to a worker and back needs two of.
  Pipeline samples;
  samples.add("sine-source", "sine", {{"samples", samples_per_frame}, {"frames", "1"}, {"noise", "0"}})
      .add("scale", "scale", {}, Placement::Process)
      .add("stats-sink", "sink");
  samples.link("sine", "scale").link("scale", "sink");
  EXPECT_EQ(test::run_within(samples, 60s).find("sink")->frames_in, 1u);

  Pipeline bytes;
  bytes.add("bytes-source", "bytes", {{"size", std::to_string(largest)}, {"frames", "1"}})
      .add("passthrough", "pass", {}, Placement::Process)
      .add("null-sink", "sink");
  bytes.link("bytes", "pass").link("pass", "sink");
  const RunReport report = test::run_within(bytes, 60s);
  EXPECT_EQ(report.find("sink")->frames_in, 1u);
  EXPECT_GE(report.find("sink")->bytes_in, static_cast<std::uint64_t>(largest));
}

}  // namespace
}  // namespace sgn

int main(int argc, char** argv) {
  static sgn::Registry registry;  // the program's: pipelines use it by default
  sgn::elements::register_all(registry);
  sgn::test::register_test_elements(registry);
  sgn::init(argc, argv, registry);  // a worker process start ends here
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
