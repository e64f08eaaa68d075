// dds-sink and dds-source between two sgn-launch processes, as two hosts would run
// them: over loopback in this test's own network namespace, and across two network
// namespaces joined by a veth pair the test creates. Runs under support/private_net.sh
// (a network namespace of its own with only a loopback, inside private_shm.sh's mount
// and PID namespaces, as root): no packet can reach another address. Every test uses
// its own domain id and topic, and checks that no sgn-launch is left running.

#include <signal.h>

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
using sgn::test::processes_named;
using sgn::test::read_all;
using sgn::test::Result;
using sgn::test::wait_until;

const std::string kLaunch = SGN_LAUNCH_PATH;
const std::string kIp = "/usr/sbin/ip";
// The other end of the veth pair lives in this namespace (in the test's private /run).
const std::string kPeerNamespace = "sgn-dds-b";

// A Cyclone configuration that keeps DDS on `interface`, talking to `peer` only.
std::string config_xml(const std::string& interface, const std::string& peer) {
  return "<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface name=\"" + interface +
         "\"/></Interfaces><AllowMulticast>false</AllowMulticast></General><Discovery><Peers><Peer address=\"" + peer +
         "\"/></Peers><ParticipantIndex>auto</ParticipantIndex></Discovery></Domain></CycloneDDS>";
}

std::uint64_t field(const std::map<std::string, std::map<std::string, std::string>>& elements,
                    const std::string& element, const std::string& name) {
  auto e = elements.find(element);
  if (e == elements.end()) return ~std::uint64_t{0};
  auto f = e->second.find(name);
  return f == e->second.end() ? ~std::uint64_t{0} : std::stoull(f->second);
}

class DdsPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sgn-dds-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    runner_.emplace(dir_);
    lo_config_ = write("lo.xml", config_xml("lo", "127.0.0.1"));
  }
  void TearDown() override {
    std::vector<pid_t> left;
    EXPECT_TRUE(wait_until([&] { return (left = processes_named("sgn-launch")).empty(); }, 5s))
        << left.size() << " sgn-launch processes left running";
    if (veth_) {
      EXPECT_EQ(std::system((kIp + " netns del " + kPeerNamespace).c_str()), 0);
      // ip made /run/netns a mount point of itself (in our private /run): undo that too.
      EXPECT_EQ(std::system("umount /run/netns && rmdir /run/netns"), 0);
    }
    fs::remove_all(dir_);
  }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text << "\n";
    return path.string();
  }

  // A second namespace ("host B") joined to this one ("host A") by a veth pair:
  // A is 10.201.0.1 on sgn-va, B 10.201.0.2 on sgn-vb.
  void make_veth_pair() {
    const std::string commands[] = {
        kIp + " netns add " + kPeerNamespace,
        kIp + " link add sgn-va type veth peer name sgn-vb netns " + kPeerNamespace,
        kIp + " addr add 10.201.0.1/24 dev sgn-va",
        kIp + " link set sgn-va up",
        kIp + " -n " + kPeerNamespace + " addr add 10.201.0.2/24 dev sgn-vb",
        kIp + " -n " + kPeerNamespace + " link set sgn-vb up",
        kIp + " -n " + kPeerNamespace + " link set lo up",
    };
    veth_ = true;
    for (const auto& command : commands) ASSERT_EQ(std::system(command.c_str()), 0) << command;
    a_config_ = write("a.xml", config_xml("sgn-va", "10.201.0.2"));
    b_config_ = write("b.xml", config_xml("sgn-vb", "10.201.0.1"));
  }

  /// sgn-launch `pipeline` in a process group of its own (like a shell job); with
  /// `in_peer`, in the second namespace. Statistics go to `json` if given.
  Child launch(const std::string& pipeline, const std::string& json = {}, bool in_peer = false,
               std::vector<std::string> options = {}) {
    std::vector<std::string> args;
    if (in_peer) args = {kIp, "netns", "exec", kPeerNamespace};
    args.push_back(kLaunch);
    args.insert(args.end(), options.begin(), options.end());
    if (!json.empty()) {
      args.push_back("--json");
      args.push_back((dir_ / json).string());
    }
    args.push_back(pipeline);
    sgn::test::StartOptions start;
    start.own_process_group = true;
    return runner_->start(std::move(args), start);
  }
  Result finish(const Child& child, std::chrono::milliseconds limit = 60s) { return runner_->finish(child, limit); }
  std::map<std::string, std::map<std::string, std::string>> stats(const std::string& json) {
    return json_elements(read_all(dir_ / json));
  }
  /// Waits until `child`'s standard error holds `text`; false after `limit`.
  bool logged(const Child& child, const std::string& text, std::chrono::milliseconds limit = 30s) {
    return wait_until([&] { return read_all(child.err).find(text) != std::string::npos; }, limit);
  }

  /// Waits until `receiver` (launched with --log-level debug) matched `sender` and frames
  /// flow, kills the sender, and expects the receiver to fail within `limit_s` naming the topic,
  /// the writer and its pid, and the liveliness that found it lost.
  /// `lease`: the sender's liveliness lease (its dds-sink's `lease`), as the error says it.
  void expect_killed_sender_fails_receiver(const Child& receiver, const Child& sender, const std::string& topic,
                                           const std::string& lease, double limit_s) {
    ASSERT_TRUE(logged(receiver, "matched")) << read_all(receiver.err);
    std::this_thread::sleep_for(300ms);  // frames flow
    const auto killed = Clock::now();
    ASSERT_EQ(::kill(sender.pid, SIGKILL), 0);
    ASSERT_TRUE(logged(receiver, "ERROR", 10s)) << read_all(receiver.err);
    const double seconds = std::chrono::duration<double>(Clock::now() - killed).count();
    const Result r = finish(receiver, 10s);
    finish(sender, 10s);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("topic '" + topic + "'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("writer 'dds-sink0' (pid " + std::to_string(sender.pid)), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("no liveliness within its " + lease + " s lease"), std::string::npos) << r.err;
    EXPECT_LT(seconds, limit_s) << "the lost writer was reported " << seconds << " s after the kill";
    std::cout << "lost writer reported " << seconds << " s after kill -9\n";
  }

  fs::path dir_;
  std::optional<ChildRunner> runner_;
  std::string lo_config_, a_config_, b_config_;
  bool veth_ = false;
};

// Sender and receiver over loopback: every frame, in order (the source fails on a
// frame out of order), EOS ends both, and each received frame was copied exactly once.
TEST_F(DdsPipelineTest, EveryFrameArrivesInOrderAndEosEndsBothSides) {
  const std::string link = "topic=order domain=11 config=" + lo_config_;
  const Child b = launch("dds-source " + link + " ! stats-sink", "b.json");
  const Child a = launch("sine-source channels=8 frames=20000 ! dds-sink readers=1 " + link, "a.json");
  const Result ra = finish(a);
  const Result rb = finish(b);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  const auto sa = stats("a.json");
  const auto sb = stats("b.json");
  EXPECT_EQ(field(sa, "dds-sink0", "frames_in"), 20000u);
  EXPECT_EQ(field(sb, "dds-source0", "frames_out"), 20000u);
  EXPECT_EQ(field(sb, "stats-sink0", "frames_in"), 20000u);
  EXPECT_EQ(field(sb, "dds-source0", "bytes_out"), field(sa, "dds-sink0", "bytes_in"));
  EXPECT_EQ(field(sb, "dds-source0", "copies"), 20000u);
  EXPECT_EQ(field(sb, "stats-sink0", "copies"), 0u);
}

// The writer says its schema type when it is matched: a receiving pipeline that expects
// another type fails at once, naming both; the sender then sees its reader leave.
TEST_F(DdsPipelineTest, ATypeMismatchFailsAtConnectNamingBothTypes) {
  const std::string link = "topic=typed domain=12 config=" + lo_config_;
  // The sender waits up to 10 s for its reader, which may leave before the sender has
  // even seen it (a loaded machine): either way the sender fails, naming why.
  const Child a = launch("bytes-source size=64 frames=0 ! dds-sink schema=Bytes readers=1 timeout=10 " + link);
  const Child b = launch("dds-source " + link + " ! stats-sink");
  const Result rb = finish(b, 30s);
  EXPECT_EQ(rb.exit_code, 1) << rb.err;
  EXPECT_NE(rb.err.find("topic 'typed'"), std::string::npos) << rb.err;
  EXPECT_NE(rb.err.find("publishes Bytes"), std::string::npos) << rb.err;
  EXPECT_NE(rb.err.find("expects Samples"), std::string::npos) << rb.err;
  const Result ra = finish(a, 30s);
  EXPECT_EQ(ra.exit_code, 1) << ra.err;
  EXPECT_TRUE(ra.err.find("a reader left before EOS") != std::string::npos ||
              ra.err.find("topic 'typed': 0 of 1 readers matched within 10 s") != std::string::npos)
      << ra.err;
}

// kill -9 of the sender: the receiver sees the writer's liveliness lapse (its lease, 0.5 s
// here) and fails naming the topic and the writer (the bound allows a loaded machine).
TEST_F(DdsPipelineTest, AKilledSenderFailsTheReceiverNamingTopicAndWriter) {
  const std::string link = "topic=lost domain=13 config=" + lo_config_;
  const Child b = launch("dds-source " + link + " ! stats-sink", {}, false, {"--log-level", "debug"});
  const Child a = launch("sine-source realtime=true rate=16384 samples=1024 frames=0 ! dds-sink lease=0.5 " + link);
  expect_killed_sender_fails_receiver(b, a, "lost", "0.5", 2.5);
}

// With on-loss=eos a lost writer ends the stream instead: the receiver exits 0.
TEST_F(DdsPipelineTest, OnLossEosEndsTheStreamOfAKilledSender) {
  const std::string link = "topic=lost_eos domain=14 config=" + lo_config_;
  const Child b = launch("dds-source on-loss=eos " + link + " ! stats-sink", "b.json", false, {"--log-level", "debug"});
  const Child a = launch("sine-source realtime=true rate=16384 samples=1024 frames=0 ! dds-sink " + link);
  ASSERT_TRUE(logged(b, "matched")) << read_all(b.err);
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(::kill(a.pid, SIGKILL), 0);
  const Result rb = finish(b, 15s);
  finish(a, 10s);
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_NE(rb.err.find("on-loss=eos"), std::string::npos) << rb.err;
  EXPECT_GT(field(stats("b.json"), "stats-sink0", "frames_in"), 0u);
}

// A receiver paused longer than its writer's lease (SIGSTOP: a host that was too busy to
// read) finds on waking the writer's liveliness lapsed and, as it reads on, back: the writer
// was not lost and nothing was, so both runs end normally with every frame.
TEST_F(DdsPipelineTest, AReceiverPausedLongerThanTheLeaseGoesOnWithEveryFrame) {
  const std::string link = "topic=paused domain=16 config=" + lo_config_;
  const Child b = launch("dds-source " + link + " ! stats-sink", "b.json", false, {"--log-level", "debug"});
  const Child a = launch("sine-source realtime=true rate=16384 samples=1024 frames=64 ! dds-sink lease=0.3 " + link,
                         "a.json");
  ASSERT_TRUE(logged(b, "matched")) << read_all(b.err);
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(::kill(b.pid, SIGSTOP), 0);
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(::kill(b.pid, SIGCONT), 0);
  const Result ra = finish(a, 30s);
  const Result rb = finish(b, 30s);
  EXPECT_EQ(ra.exit_code, 0) << ra.err;
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_EQ(field(stats("b.json"), "stats-sink0", "frames_in"), 64u);
  // It did see the lapse (its lease checks ran first as it woke), and let it pass.
  EXPECT_NE(rb.err.find("missed its 0.3 s liveliness lease and is back"), std::string::npos) << rb.err;
}

// Ctrl+C on the sender: it drains and sends EOS (exit 130); the receiver got every frame
// the sender took in and ends normally.
TEST_F(DdsPipelineTest, CtrlCOnTheSenderDrainsAndEndsTheReceiver) {
  const std::string link = "topic=int_a domain=15 config=" + lo_config_;
  const Child b = launch("dds-source " + link + " ! stats-sink", "b.json", false, {"--log-level", "debug"});
  const Child a = launch("sine-source realtime=true rate=16384 samples=1024 frames=0 ! dds-sink " + link, "a.json");
  ASSERT_TRUE(logged(b, "matched")) << read_all(b.err);
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(::kill(-a.pid, SIGINT), 0);
  const Result ra = finish(a, 20s);
  const Result rb = finish(b, 20s);
  EXPECT_EQ(ra.exit_code, 130) << ra.err;
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
  const std::uint64_t sent = field(stats("a.json"), "dds-sink0", "frames_in");
  EXPECT_GT(sent, 0u);
  EXPECT_EQ(field(stats("b.json"), "stats-sink0", "frames_in"), sent);
}

// Ctrl+C on the receiver: it drains and exits 130; the sender sees its reader leave
// before EOS and fails saying so.
TEST_F(DdsPipelineTest, CtrlCOnTheReceiverDrainsItAndFailsTheSenderClearly) {
  const std::string link = "topic=int_b domain=16 config=" + lo_config_;
  const Child b = launch("dds-source " + link + " ! stats-sink", "b.json", false, {"--log-level", "debug"});
  const Child a = launch("sine-source realtime=true rate=16384 samples=1024 frames=0 ! dds-sink " + link);
  ASSERT_TRUE(logged(b, "matched")) << read_all(b.err);
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(::kill(-b.pid, SIGINT), 0);
  const Result rb = finish(b, 20s);
  const Result ra = finish(a, 20s);
  EXPECT_EQ(rb.exit_code, 130) << rb.err;
  EXPECT_GT(field(stats("b.json"), "stats-sink0", "frames_in"), 0u);
  EXPECT_EQ(ra.exit_code, 1) << ra.err;
  EXPECT_NE(ra.err.find("topic 'int_b': a reader left before EOS"), std::string::npos) << ra.err;
}

// readers= not met within timeout: a clear error, not a stream into the void.
TEST_F(DdsPipelineTest, ReadersNotMetWithinTheTimeoutFailClearly) {
  const Child a =
      launch("sine-source frames=10 ! dds-sink readers=1 timeout=1 topic=alone domain=17 config=" + lo_config_);
  const Result ra = finish(a, 20s);
  EXPECT_EQ(ra.exit_code, 1) << ra.err;
  EXPECT_NE(ra.err.find("topic 'alone': 0 of 1 readers matched within 1 s"), std::string::npos) << ra.err;
}

// A frame larger than the link's limit is refused before it is sent, with both sizes.
TEST_F(DdsPipelineTest, AFrameLargerThanMaxBytesIsATypedErrorBeforeSending) {
  const Child a = launch("bytes-source size=8192 frames=3 ! dds-sink schema=Bytes readers=0 max-bytes=4096 "
                         "topic=big domain=18 config=" + lo_config_);
  const Result ra = finish(a, 20s);
  EXPECT_EQ(ra.exit_code, 1) << ra.err;
  EXPECT_NE(ra.err.find("ERROR: element dds-sink0 (main, pid "), std::string::npos) << ra.err;
  EXPECT_NE(ra.err.find("frame 0 of 8208 bytes exceeds max-bytes=4096 of topic 'big'"), std::string::npos) << ra.err;
}

// Bad properties fail when the pipeline is built (exit 2), naming the element and value.
TEST_F(DdsPipelineTest, BadPropertiesAreRefusedWhenThePipelineIsBuilt) {
  Result r = finish(launch("sine-source ! dds-sink topic=x schema=Floats"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("property 'schema' = 'Floats' is not a schema type a link can carry (Samples, Bytes)"),
            std::string::npos)
      << r.err;
  r = finish(launch("dds-source ! stats-sink"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("property 'topic' = '' must name a DDS topic"), std::string::npos) << r.err;
  r = finish(launch("dds-source topic=x on-loss=retry ! stats-sink"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("'on-loss' = 'retry' is not one of error, eos"), std::string::npos) << r.err;
  r = finish(launch("sine-source ! dds-sink topic=x lease=0.05"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("element 'dds-sink0' (dds-sink): property 'lease' = 0.05 is out of range [0.1, 3600]"),
            std::string::npos)
      << r.err;
}

// An XML snippet works as config, as a file does.
TEST_F(DdsPipelineTest, AnXmlSnippetConfiguresTheLink) {
  const std::string xml = config_xml("lo", "127.0.0.1");
  const std::string link = "topic=snippet domain=19 config='" + xml + "'";
  const Child b = launch("dds-source " + link + " ! stats-sink", "b.json");
  const Child a = launch("sine-source frames=100 ! dds-sink " + link);
  const Result ra = finish(a);
  const Result rb = finish(b);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_EQ(field(stats("b.json"), "stats-sink0", "frames_in"), 100u);
}

// Fan-out: one writer, two receiving pipelines; each gets every frame.
TEST_F(DdsPipelineTest, TwoReceiversEachGetEveryFrame) {
  const std::string link = "topic=fan domain=20 config=" + lo_config_;
  const Child b1 = launch("dds-source " + link + " ! stats-sink", "b1.json");
  const Child b2 = launch("dds-source " + link + " ! stats-sink", "b2.json");
  const Child a = launch("sine-source frames=5000 ! dds-sink readers=2 " + link);
  const Result ra = finish(a);
  const Result r1 = finish(b1);
  const Result r2 = finish(b2);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(field(stats("b1.json"), "stats-sink0", "frames_in"), 5000u);
  EXPECT_EQ(field(stats("b2.json"), "stats-sink0", "frames_in"), 5000u);
}

// A reader that joins a running stream gets the frames written from then on, in order,
// and its run ends at the writer's EOS like the others'.
TEST_F(DdsPipelineTest, AReaderThatJoinsLateGetsTheFramesFromThenOn) {
  const std::string link = "topic=late domain=25 config=" + lo_config_;
  const Child early = launch("dds-source " + link + " ! stats-sink", "early.json", false, {"-v"});
  // 1 kHz for 3 s: the late reader starts after the writer matched the early one and
  // began writing, and takes longer than a frame to be discovered.
  const Child a = launch("sine-source realtime=true channels=1 samples=256 rate=256000 frames=3000 ! dds-sink "
                         "readers=1 " + link);
  ASSERT_TRUE(logged(early, "matched")) << read_all(early.err);
  const Child late = launch("dds-source " + link + " ! stats-sink", "late.json");
  const Result ra = finish(a);
  const Result re = finish(early);
  const Result rl = finish(late);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(re.exit_code, 0) << re.err;
  ASSERT_EQ(rl.exit_code, 0) << rl.err;
  EXPECT_EQ(field(stats("early.json"), "stats-sink0", "frames_in"), 3000u);
  const std::uint64_t late_frames = field(stats("late.json"), "stats-sink0", "frames_in");
  EXPECT_GT(late_frames, 0u);
  EXPECT_LT(late_frames, 3000u);
}

// The README's two-host example, host B in a second network namespace joined by a veth
// pair: the filter in a worker process on B, every frame, EOS, exit 0 on both.
TEST_F(DdsPipelineTest, AcrossTwoNamespacesTheTwoHostExampleRuns) {
  ASSERT_NO_FATAL_FAILURE(make_veth_pair());
  const Child b = launch("dds-source topic=raw domain=21 config=" + b_config_ +
                             " ! fir taps=64 placement=process ! stats-sink",
                         "b.json", true);
  const Child a = launch("sine-source channels=8 frames=10000 ! dds-sink topic=raw readers=1 domain=21 config=" +
                         a_config_, "a.json");
  const Result ra = finish(a, 90s);
  const Result rb = finish(b, 90s);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  const auto sb = stats("b.json");
  EXPECT_EQ(field(stats("a.json"), "dds-sink0", "frames_in"), 10000u);
  EXPECT_EQ(field(sb, "fir0", "frames_in"), 10000u);
  EXPECT_EQ(field(sb, "stats-sink0", "frames_in"), 10000u);
}

// Frames of 1 KiB and of 16 MiB across the veth pair: all of them, every byte counted.
TEST_F(DdsPipelineTest, AcrossTwoNamespacesFramesOf1KiBAnd16MiBArrive) {
  ASSERT_NO_FATAL_FAILURE(make_veth_pair());
  int domain = 22;
  for (const auto& [size, frames] : {std::pair{1024, 20000}, std::pair{16 << 20, 12}}) {
    SCOPED_TRACE(size);
    const std::string topic = "size" + std::to_string(size);
    const std::string link = "topic=" + topic + " schema=Bytes domain=" + std::to_string(domain++);
    const Child b = launch("dds-source " + link + " config=" + b_config_ + " ! null-sink", "b.json", true);
    const Child a = launch("bytes-source fill=index size=" + std::to_string(size) + " frames=" +
                               std::to_string(frames) + " ! dds-sink " + link + " config=" + a_config_,
                           "a.json");
    const Result ra = finish(a, 120s);
    const Result rb = finish(b, 120s);
    ASSERT_EQ(ra.exit_code, 0) << ra.err;
    ASSERT_EQ(rb.exit_code, 0) << rb.err;
    const auto sa = stats("a.json");
    const auto sb = stats("b.json");
    EXPECT_EQ(field(sb, "null-sink0", "frames_in"), static_cast<std::uint64_t>(frames));
    EXPECT_EQ(field(sb, "dds-source0", "bytes_out"), field(sa, "dds-sink0", "bytes_in"));
    EXPECT_GT(field(sb, "dds-source0", "bytes_out"), static_cast<std::uint64_t>(size) * frames);
    // One copy a frame, from Cyclone's receive buffers into the frame (16 MiB frames keep
    // their fragments until then); none elsewhere.
    EXPECT_EQ(field(sb, "dds-source0", "copies"), static_cast<std::uint64_t>(frames));
    EXPECT_EQ(field(sb, "null-sink0", "copies"), 0u);
  }
}

// kill -9 across the namespaces: the same clear failure on B.
TEST_F(DdsPipelineTest, AcrossTwoNamespacesAKilledSenderFailsTheReceiver) {
  ASSERT_NO_FATAL_FAILURE(make_veth_pair());
  const Child b = launch("dds-source topic=lost2 domain=24 config=" + b_config_ + " ! stats-sink", {}, true,
                         {"--log-level", "debug"});
  const Child a = launch("sine-source realtime=true rate=16384 samples=1024 frames=0 ! dds-sink topic=lost2 "
                         "domain=24 config=" + a_config_);
  expect_killed_sender_fails_receiver(b, a, "lost2", "2", 5.0);  // the default lease
}

}  // namespace
