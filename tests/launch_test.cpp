// sgn-launch, sgn-inspect and the custom-element example, run as child processes:
// exit codes, the JSON statistics, Ctrl+C. Runs under support/private_shm.sh (the
// process-mode runs start a RouDi), which also fails the test if anything is left.

#include "support/child_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using sgn::test::Child;
using sgn::test::json_elements;
using sgn::test::json_top;
using sgn::test::read_all;
using sgn::test::Result;

class LaunchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sgn-launch-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Child start(std::vector<std::string> args) { return runner_.start(std::move(args)); }
  /// Waits for the child; kills it (and fails) after `limit`.
  Result finish(const Child& child, std::chrono::seconds limit = 60s) { return runner_.finish(child, limit); }
  Result run(std::vector<std::string> args) { return finish(start(std::move(args))); }
  Result run_with_env(std::vector<std::string> args, std::vector<std::string> env) {
    sgn::test::StartOptions options;
    options.env = std::move(env);
    return runner_.finish(runner_.start(std::move(args), options), 60s);
  }

  /// Ctrl+C once, once frames reached the file-sink writing `flowing`: sources end with
  /// EOS, everything drains, exit 130.
  void ctrl_c_drains(const Child& child, const fs::path& json, const fs::path& flowing) {
    ASSERT_TRUE(sgn::test::wait_until(
        [&] {
          std::error_code error;
          return fs::file_size(flowing, error) > 0 && !error;
        },
        30s))
        << "no frame reached the sink: " << read_all(child.out) << read_all(child.err);
    ::kill(child.pid, SIGINT);
    Result r = finish(child);
    EXPECT_EQ(r.exit_code, 130) << r.out << r.err;
    EXPECT_NE(r.out.find("Interrupted"), std::string::npos) << r.out;
    // Acknowledged while it drains, before the table.
    EXPECT_LT(r.out.find("Interrupt: draining; Ctrl+C again to stop"), r.out.find("Interrupted:")) << r.out;
    const std::string text = read_all(json);
    EXPECT_EQ(json_top(text, "exit_code"), "130") << text;
    EXPECT_EQ(json_top(text, "interrupted"), "true") << text;
    EXPECT_EQ(json_top(text, "stopped"), "false") << text;
    auto elements = json_elements(text);
    const std::string produced = elements["src"]["frames_out"];
    EXPECT_NE(produced, "0");
    EXPECT_FALSE(produced.empty()) << text;
    EXPECT_EQ(elements["f"]["frames_in"], produced) << text;
    EXPECT_EQ(elements["sink"]["frames_in"], produced) << text;
    EXPECT_EQ(elements["f"]["discarded"], "0") << text;
  }

  fs::path dir_;
  sgn::test::ChildRunner runner_{fs::temp_directory_path() / ("sgn-launch-test-" + std::to_string(::getpid()))};
};

const std::string kLaunch = SGN_LAUNCH_PATH;
const std::string kInspect = SGN_INSPECT_PATH;
const std::string kClipLaunch = SGN_CLIP_LAUNCH_PATH;
const std::string kFaultyLaunch = SGN_FAULTY_LAUNCH_PATH;

/// The lines of `text` that start with "ERROR:".
std::vector<std::string> error_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("ERROR:", 0) == 0) out.push_back(line);
  }
  return out;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(LaunchTest, ProcessModePipelineExitsZeroAndWritesJson) {
  const fs::path json = dir_ / "stats.json";
  const fs::path dot = dir_ / "graph.dot";
  Result r = run({kLaunch, "--json", json, "--dot", dot, "sine-source", "rate=16384", "channels=8", "frames=300",
                  "!", "fir", "taps=64", "placement=process", "!", "scale", "gain=2", "!", "stats-sink"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Execution ended after"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fir0"), std::string::npos) << r.out;

  const std::string text = read_all(json);
  EXPECT_EQ(json_top(text, "exit_code"), "0") << text;
  EXPECT_EQ(json_top(text, "interrupted"), "false") << text;
  auto elements = json_elements(text);
  ASSERT_EQ(elements.size(), 4u) << text;
  EXPECT_EQ(elements["sine-source0"]["frames_out"], "300");
  EXPECT_EQ(elements["fir0"]["frames_in"], "300");
  EXPECT_EQ(elements["fir0"]["placement"], "\"process\"");
  EXPECT_NE(elements["fir0"]["pid"], elements["scale0"]["pid"]);
  EXPECT_EQ(elements["stats-sink0"]["frames_in"], "300");

  const std::string graph = read_all(dot);
  EXPECT_NE(graph.find("digraph pipeline"), std::string::npos) << graph;
  EXPECT_NE(graph.find(R"("sine-source0" -> "fir0" [label="out -> in\nSamples"])"), std::string::npos) << graph;
  EXPECT_NE(graph.find(R"(label="fir0\nfir\nprocess")"), std::string::npos) << graph;
}

TEST_F(LaunchTest, ThreadsOptionAndJsonOnStandardOutput) {
  Result r = run({kLaunch, "--threads", "--json", "-", "sine-source frames=50 ! fir placement=process ! stats-sink"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto elements = json_elements(r.out);  // the table went to stderr
  ASSERT_EQ(elements.size(), 3u) << r.out;
  for (const auto& [name, fields] : elements) EXPECT_EQ(fields.at("placement"), "\"thread\"") << name;
  EXPECT_EQ(elements["stats-sink0"]["frames_in"], "50");
  EXPECT_NE(r.err.find("Execution ended after"), std::string::npos) << r.err;
}

TEST_F(LaunchTest, DescriptionFromAFile) {
  const fs::path file = dir_ / "pipeline.txt";
  std::ofstream(file) << "# a test pipeline\nsine-source frames=7\n  ! scale gain=2\n  ! stats-sink name=out\n";
  const fs::path json = dir_ / "stats.json";
  Result r = run({kLaunch, "-q", "--json", json, "-f", file});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");  // -q
  EXPECT_EQ(json_elements(read_all(json))["out"]["frames_in"], "7");
}

TEST_F(LaunchTest, PipelineErrorExitsOneNamingElementPlacementAndPid) {
  const fs::path json = dir_ / "stats.json";
  Result r = run({kLaunch, "--json", json, "file-source location=/nonexistent/x placement=process ! stats-sink"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(ERROR: element file-source0 \(process, pid \d+\): .*)")))
      << r.err;
  EXPECT_NE(r.err.find("cannot open '/nonexistent/x'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(open): No such file or directory"), std::string::npos) << r.err;  // the call, errno's text
  const std::string text = read_all(json);
  EXPECT_EQ(json_top(text, "exit_code"), "1") << text;
  EXPECT_NE(text.find("\"element\": \"file-source0\""), std::string::npos) << text;

  Result t = run({kLaunch, "file-source location=/nonexistent/x placement=thread ! stats-sink"});
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.err.find("ERROR: element file-source0 (thread, pid "), std::string::npos) << t.err;
}

TEST_F(LaunchTest, UsageAndParseErrorsExitTwo) {
  EXPECT_EQ(run({kLaunch}).exit_code, 2);
  EXPECT_EQ(run({kLaunch, "--bogus", "sine-source ! stats-sink"}).exit_code, 2);
  EXPECT_EQ(run({kLaunch, "--queue", "x", "sine-source ! stats-sink"}).exit_code, 2);
  EXPECT_EQ(run({kLaunch, "-f", (dir_ / "missing").string()}).exit_code, 2);

  Result parse = run({kLaunch, "sine-source ! fitr ! stats-sink"});
  EXPECT_EQ(parse.exit_code, 2);
  EXPECT_NE(parse.err.find("did you mean 'fir'?"), std::string::npos) << parse.err;
  EXPECT_NE(parse.err.find("\n  sine-source ! fitr ! stats-sink\n                ^~~~"), std::string::npos)
      << parse.err;

  Result invalid = run({kLaunch, "sine-source ! fir"});  // no sink, an unlinked pad
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_NE(invalid.err.find("invalid pipeline"), std::string::npos) << invalid.err;

  Result help = run({kLaunch, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("130"), std::string::npos) << help.out;
}

TEST_F(LaunchTest, CtrlCDrainsAndExits130) {
  const fs::path json = dir_ / "stats.json";
  const fs::path frames = dir_ / "frames";
  Child child = start({kLaunch, "--json", json, "sine-source name=src rate=16384 channels=8 ! fir name=f taps=64 "
                                                "placement=process ! file-sink name=sink location=" + frames.string()});
  ctrl_c_drains(child, json, frames);
}

// Ctrl+C reaches a source in a worker process: main forwards the shutdown on the
// command topic, the source ends with EOS and everything drains.
TEST_F(LaunchTest, CtrlCDrainsAProcessPlacedSource) {
  const fs::path json = dir_ / "stats.json";
  const fs::path frames = dir_ / "frames";
  Child child = start({kLaunch, "--json", json, "sine-source name=src rate=16384 channels=8 placement=process ! "
                                                "fir name=f taps=64 ! file-sink name=sink location=" + frames.string()});
  ctrl_c_drains(child, json, frames);
}

TEST_F(LaunchTest, InspectListsAndDescribes) {
  Result list = run({kInspect});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("fir "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("sine-source "), std::string::npos) << list.out;

  Result fir = run({kInspect, "fir"});
  EXPECT_EQ(fir.exit_code, 0);
  EXPECT_NE(fir.out.find("in   input   Samples"), std::string::npos) << fir.out;
  EXPECT_NE(fir.out.find("taps"), std::string::npos) << fir.out;
  EXPECT_NE(fir.out.find("[1, 4096]"), std::string::npos) << fir.out;
  EXPECT_NE(fir.out.find("Placements: main, thread, process"), std::string::npos) << fir.out;

  Result unknown = run({kInspect, "fri"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no element 'fri' (did you mean 'fir'?)"), std::string::npos) << unknown.err;
}

TEST_F(LaunchTest, CustomElementThroughLaunchMain) {
  if (kClipLaunch.empty()) GTEST_SKIP() << "examples are not built (SGN_BUILD_EXAMPLES=OFF)";
  Result inspect_like = run({kClipLaunch, "--help"});
  EXPECT_EQ(inspect_like.exit_code, 0);

  const fs::path json = dir_ / "stats.json";
  Result r = run({kClipLaunch, "--json", json, "sine-source frames=40 amplitude=2 ! clip limit=0.5 placement=process "
                                               "! stats-sink name=out"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto elements = json_elements(read_all(json));
  EXPECT_EQ(elements["clip0"]["placement"], "\"process\"");
  EXPECT_EQ(elements["clip0"]["frames_out"], "40");
  EXPECT_EQ(elements["out"]["frames_in"], "40");

  Result bad = run({kClipLaunch, "sine-source ! clip limt=1 ! stats-sink"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("did you mean 'limit'?"), std::string::npos) << bad.err;
}

TEST_F(LaunchTest, QueueAndJoinTimeoutBeyondTheirBoundsExitTwoNamingValueAndBound) {
  const std::string line = "sine-source frames=3 ! stats-sink";
  for (const std::string value : {"0", "65537", "18446744073709551616", "-1", "many"}) {
    Result r = run({kLaunch, "--queue", value, line});
    EXPECT_EQ(r.exit_code, 2) << value;
    for (const std::string& text : std::vector<std::string>{"--queue", "'" + value + "'", "65536"}) {
      EXPECT_NE(r.err.find(text), std::string::npos) << text << " in: " << r.err;
    }
  }
  for (const std::string value : {"86400001", "9223372036854", "-1", "99999999999999999999"}) {
    Result r = run({kLaunch, "--join-timeout", value, line});
    EXPECT_EQ(r.exit_code, 2) << value;
    for (const std::string& text : std::vector<std::string>{"--join-timeout", "'" + value + "'", "86400000"}) {
      EXPECT_NE(r.err.find(text), std::string::npos) << text << " in: " << r.err;
    }
  }
  Result process = run({kLaunch, "--queue", "257", "sine-source frames=3 ! fir placement=process ! stats-sink"});
  EXPECT_EQ(process.exit_code, 2);
  EXPECT_NE(process.err.find("queue_maxsize 257"), std::string::npos) << process.err;
  EXPECT_NE(process.err.find("256"), std::string::npos) << process.err;

  for (const std::string value : {"-1", "lots", "18446744073709551616"}) {
    Result r = run({kLaunch, "--queue-bytes", value, line});
    EXPECT_EQ(r.exit_code, 2) << value;
    for (const std::string& text : std::vector<std::string>{"--queue-bytes", "'" + value + "'"}) {
      EXPECT_NE(r.err.find(text), std::string::npos) << text << " in: " << r.err;
    }
  }

  EXPECT_EQ(run({kLaunch, "-q", "-t", "--queue", "65536", "--join-timeout", "86400000", line}).exit_code, 0);
  EXPECT_EQ(run({kLaunch, "-q", "--queue", "1", "--join-timeout", "0", line}).exit_code, 0);
  EXPECT_EQ(run({kLaunch, "-q", "-t", "--queue-bytes", "0", line}).exit_code, 0);
  EXPECT_EQ(run({kLaunch, "-q", "-t", "--queue-bytes", "1", line}).exit_code, 0);  // one frame at a time
}

TEST_F(LaunchTest, SpinUsIsValidatedAndARunWithItEndsAtEos) {
  const std::string line = "sine-source frames=3 ! stats-sink";
  for (const std::string value : {"100001", "-1", "1.5", "fast", "99999999999999999999"}) {
    Result r = run({kLaunch, "--spin-us", value, line});
    EXPECT_EQ(r.exit_code, 2) << value;
    for (const std::string& text : std::vector<std::string>{"--spin-us", "'" + value + "'", "100000"}) {
      EXPECT_NE(r.err.find(text), std::string::npos) << text << " in: " << r.err;
    }
  }
  Result missing = run({kLaunch, line, "--spin-us"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nothing"), std::string::npos) << missing.err;
  EXPECT_EQ(run({kLaunch, "-q", "--spin-us", "100000", "sine-source frames=50 ! fir ! stats-sink"}).exit_code, 0);
  EXPECT_EQ(run({kLaunch, "-q", "-t", "--spin-us", "0", "sine-source frames=50 ! fir spin_us=500 ! stats-sink"}).exit_code, 0);
}

TEST_F(LaunchTest, InspectShowsARangeForEveryNumericProperty) {
  Result list = run({kInspect});
  ASSERT_EQ(list.exit_code, 0);
  std::vector<std::string> types;
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line) && !line.empty();) types.push_back(line.substr(0, line.find(' ')));
  ASSERT_GE(types.size(), 5u) << list.out;
  std::size_t numeric = 0;
  for (const auto& type : types) {
    Result r = run({kInspect, type});
    ASSERT_EQ(r.exit_code, 0) << type;
    std::istringstream text(r.out.substr(r.out.find("\nProperties:\n") + 13));
    std::string header;
    std::getline(text, header);
    const std::size_t type_column = header.find("type"), range_column = header.find("range");
    ASSERT_NE(range_column, std::string::npos) << r.out;
    for (std::string row; std::getline(text, row) && !row.empty();) {
      const std::string kind = row.substr(type_column, row.find(' ', type_column) - type_column);
      if (kind != "int" && kind != "double") continue;
      ++numeric;
      EXPECT_TRUE(std::regex_search(row.substr(range_column), std::regex(R"(^\[-?[0-9.e+]+, -?[0-9.e+]+\])")))
          << type << ": " << row;
    }
  }
  EXPECT_GE(numeric, 14u) << "the built-in elements declare fewer numeric properties than expected";
}

// Every built-in type shows its pads, even one that cannot be made without properties
// (dds-sink and dds-source need a topic): declared in its ElementInfo, and where a
// property chooses the schema type, sgn-inspect says which (text and --json).
TEST_F(LaunchTest, InspectShowsThePadsOfEveryBuiltInType) {
  Result list = run({kInspect});
  ASSERT_EQ(list.exit_code, 0);
  std::istringstream lines(list.out);
  std::size_t types = 0;
  for (std::string line; std::getline(lines, line) && !line.empty(); ++types) {
    const std::string type = line.substr(0, line.find(' '));
    Result r = run({kInspect, type});
    ASSERT_EQ(r.exit_code, 0) << type;
    EXPECT_EQ(r.out.find("(unknown"), std::string::npos) << r.out;
  }
  EXPECT_GE(types, 10u) << list.out;
  Result source = run({kInspect, "dds-source"});
  EXPECT_NE(source.out.find("  out  output  Samples  (property 'schema' chooses the type; this is its default)\n"),
            std::string::npos)
      << source.out;
  Result sink = run({kInspect, "--json", "dds-sink"});
  EXPECT_NE(sink.out.find("{\"name\": \"in\", \"direction\": \"input\", \"schema\": {\"name\": \"Samples\""),
            std::string::npos)
      << sink.out;
  EXPECT_NE(sink.out.find("\"pad_schema_property\": \"schema\""), std::string::npos) << sink.out;
  Result fir = run({kInspect, "--json", "fir"});
  EXPECT_NE(fir.out.find("\"pad_schema_property\": null"), std::string::npos) << fir.out;
}

// An element's constructor that throws anything (not only sgn::Error) is an error naming
// the element, its placement and pid once: exit 1, no terminate(); a property value the
// constructor refuses is the user's mistake: exit 2.
TEST_F(LaunchTest, ConstructorExceptionsNameTheElementAndExitOne) {
  struct Case {
    std::string fail, placement, says;
  };
  for (const Case& c : {Case{"constructor-invalid-argument", "main", "std::invalid_argument: no good value for 'fail'"},
                        Case{"constructor-invalid-argument", "process", "std::invalid_argument"},
                        Case{"constructor-bad-variant", "thread", "std::bad_variant_access"}}) {
    const fs::path json = dir_ / "stats.json";
    Result r = run({kFaultyLaunch, "--json", json,
                    "sine-source frames=3 ! faulty fail=" + c.fail + " placement=" + c.placement + " ! stats-sink"});
    EXPECT_EQ(r.exit_code, 1) << c.fail << ": " << r.err;
    const auto errors = error_lines(r.err);
    ASSERT_EQ(errors.size(), 1u) << r.err;
    EXPECT_TRUE(std::regex_search(
        errors[0], std::regex("^ERROR: element faulty0 \\(" + c.placement + ", pid [0-9]+\\): its constructor threw ")))
        << errors[0];
    EXPECT_NE(errors[0].find(c.says), std::string::npos) << errors[0];
    EXPECT_EQ(count_of(errors[0], "faulty0"), 1u) << errors[0];
    const std::string text = read_all(json);
    EXPECT_EQ(json_top(text, "exit_code"), "1") << text;
    EXPECT_NE(text.find(R"("element": "faulty0", "placement": ")" + c.placement + "\""), std::string::npos) << text;
  }
  Result property = run({kFaultyLaunch, "sine-source frames=3 ! faulty fail=constructor-property ! stats-sink"});
  EXPECT_EQ(property.exit_code, 2) << property.err;
  EXPECT_NE(property.err.find("property 'gain' = 1 does not suit"), std::string::npos) << property.err;
}

// start(), process() and finish() throwing: exit 1, the headline names the element once.
TEST_F(LaunchTest, HookExceptionsNameTheElementOnce) {
  for (const std::string placement : {"main", "thread", "process"}) {
    for (const std::string hook : {"start", "process", "finish"}) {
      Result r = run({kFaultyLaunch, "-q", "sine-source frames=3 ! faulty fail=" + hook + " placement=" + placement +
                                             " ! stats-sink"});
      EXPECT_EQ(r.exit_code, 1) << hook << " in " << placement << ": " << r.err;
      const auto errors = error_lines(r.err);
      ASSERT_EQ(errors.size(), 1u) << r.err;
      EXPECT_TRUE(std::regex_search(errors[0], std::regex("^ERROR: element faulty0 \\(" + placement + ", pid [0-9]+\\)")))
          << errors[0];
      EXPECT_EQ(count_of(errors[0], "faulty0"), 1u) << errors[0];
      const std::string says = hook == "start" ? "cannot start" : hook == "finish" ? "cannot finish" : "sample out of range";
      EXPECT_NE(errors[0].find(says), std::string::npos) << errors[0];
    }
  }
}

// The message of a failed write survives in the headline, with the call and errno's text.
TEST_F(LaunchTest, AFailedWriteKeepsItsMessage) {
  Result r = run({kLaunch, "-q", "sine-source frames=3 ! file-sink location=/dev/full placement=thread"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto errors = error_lines(r.err);
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_TRUE(std::regex_search(errors[0], std::regex(R"(^ERROR: element file-sink0 \(thread, pid \d+\), pad 'in', frame 0: )")))
      << errors[0];
  EXPECT_NE(errors[0].find("writing '/dev/full'"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("writev"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("No space left on device"), std::string::npos) << errors[0];
  EXPECT_EQ(count_of(errors[0], "file-sink0"), 1u) << errors[0];
}

// -q: nothing but errors, iceoryx's and RouDi's output included, with worker processes.
TEST_F(LaunchTest, QuietProcessModePrintsNothing) {
  Result r = run({kLaunch, "-q", "sine-source frames=40 ! fir placement=process ! scale placement=process ! "
                                 "stats-sink placement=process"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  // Pool pressure: the small preset's 16 KiB pool has 16 chunks for three links.
  Result pressure = run({kLaunch, "-q", "--roudi-preset", "small",
                         "sine-source name=s frames=300 ! fir placement=process ! stats-sink placement=process  "
                         "s. ! scale placement=process ! stats-sink placement=process  s. ! fir ! stats-sink"});
  EXPECT_EQ(pressure.exit_code, 0) << pressure.err;
  EXPECT_EQ(pressure.out, "");
  EXPECT_EQ(pressure.err, "");
  Result off = run({kLaunch, "--log-level", "off", "sine-source frames=40 ! fir placement=process ! stats-sink"});
  EXPECT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(off.err, "");
}

// A RouDi slow to start (iceoryx writes zeros over its whole segment first: 3 s for the
// default preset on a VM whose page faults are slow) is explained at the default level.
TEST_F(LaunchTest, ASlowRouDiStartIsExplained) {
  const fs::path bin = dir_ / "slow-roudi-bin";
  fs::create_directories(bin);
  std::ofstream(bin / "iox-roudi") << "#!/bin/sh\nsleep 1.2\nexec /usr/bin/iox-roudi \"$@\"\n";
  fs::permissions(bin / "iox-roudi", fs::perms::owner_all);
  const char* path = std::getenv("PATH");
  Result r = run_with_env({kLaunch, "--roudi-preset", "small", "sine-source frames=10 ! stats-sink placement=process"},
                          {"PATH=" + bin.string() + ":" + (path ? path : "/usr/bin:/bin")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("RouDi took "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("MiB of its shared memory first, for the small preset"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("iox-roudi -c CONFIG"), std::string::npos) << r.err;
}

// -v shows what happens: RouDi, elements starting and ending, link windows.
TEST_F(LaunchTest, VerboseShowsRouDiElementsAndLinks) {
  Result r = run({kLaunch, "-v", "sine-source frames=4 ! fir placement=process ! stats-sink"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const std::string text : {"started RouDi", "[sgn.fir0] [debug] starting (process, pid",
                                 "[sgn.stats-sink0] [debug] ending: 4 frame(s) in", "frame(s) of"}) {
    EXPECT_NE(r.err.find(text), std::string::npos) << text << " in: " << r.err;
  }
}

// SGN_LOG_LEVEL in any case; an invalid one is warned about and info is used.
TEST_F(LaunchTest, LogLevelFromTheEnvironment) {
  const std::string line = "sine-source frames=4 ! stats-sink";
  Result upper = run_with_env({kLaunch, "-t", line}, {"SGN_LOG_LEVEL=DEBUG"});
  EXPECT_EQ(upper.exit_code, 0);
  EXPECT_NE(upper.err.find("[debug] starting (thread"), std::string::npos) << upper.err;
  Result bogus = run_with_env({kLaunch, "-t", line}, {"SGN_LOG_LEVEL=loud"});
  EXPECT_EQ(bogus.exit_code, 0);
  EXPECT_NE(bogus.err.find("SGN_LOG_LEVEL='loud' is not a log level"), std::string::npos) << bogus.err;
  EXPECT_NE(bogus.err.find("[info] 4 frames"), std::string::npos) << bogus.err;  // stats-sink's line: info
  EXPECT_EQ(run({kLaunch, "--log-level", "WARN", "-t", line}).exit_code, 0);
  EXPECT_EQ(run({kLaunch, "--log-level", "loud", "-t", line}).exit_code, 2);
}

// --json on failure keeps every element's statistics; versioned format; a source's
// latency is null.
TEST_F(LaunchTest, JsonOnFailureKeepsElementStats) {
  const fs::path json = dir_ / "stats.json";
  Result r = run({kFaultyLaunch, "-q", "--json", json,
                  "sine-source frames=20 ! faulty fail=finish placement=thread ! stats-sink"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string text = read_all(json);
  EXPECT_EQ(json_top(text, "format"), "\"sgn-launch-stats\"") << text;
  EXPECT_EQ(json_top(text, "version"), "1") << text;
  EXPECT_EQ(json_top(text, "exit_code"), "1") << text;
  auto elements = json_elements(text);
  ASSERT_EQ(elements.size(), 3u) << text;
  EXPECT_EQ(elements["sine-source0"]["frames_out"], "20") << text;
  EXPECT_EQ(elements["faulty0"]["frames_in"], "20") << text;
  EXPECT_NE(text.find(R"("latency_p50_us": null, "latency_p99_us": null)"), std::string::npos) << text;
  EXPECT_NE(text.find("\"error\": {\"element\": \"faulty0\""), std::string::npos) << text;
}

// An unwritable --json or --dot path is refused before anything runs.
TEST_F(LaunchTest, UnwritableOutputPathExitsTwoBeforeRunning) {
  const fs::path written = dir_ / "written";
  for (const std::string option : {"--json", "--dot"}) {
    Result r = run({kLaunch, option, (dir_ / "missing" / "x").string(),
                    "sine-source frames=3 ! file-sink location=" + written.string()});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(option + " '"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(written)) << "the pipeline ran";
  }
}

// '-' for --dot or --json moves the human output to stderr; both on stdout is refused.
TEST_F(LaunchTest, MachineOutputOwnsStandardOutput) {
  Result dot = run({kLaunch, "--dot", "-", "sine-source frames=3 ! stats-sink"});
  EXPECT_EQ(dot.exit_code, 0) << dot.err;
  EXPECT_EQ(dot.out.rfind("digraph pipeline {", 0), 0u) << dot.out;
  EXPECT_EQ(dot.out.find("Execution ended"), std::string::npos) << dot.out;
  EXPECT_NE(dot.err.find("Execution ended"), std::string::npos) << dot.err;
  Result both = run({kLaunch, "--dot", "-", "--json", "-", "sine-source frames=3 ! stats-sink"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_EQ(both.out, "");
  EXPECT_NE(both.err.find("cannot both write to standard output"), std::string::npos) << both.err;
}

// Control bytes from the description are shown escaped, never sent to the terminal.
TEST_F(LaunchTest, ParseErrorsEscapeControlBytes) {
  Result r = run({kLaunch, "sine-source ! fi\x1b[31mr\r ! stats-sink"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(R"(fi\x1b[31mr\x0d)"), std::string::npos) << r.err;
}

TEST_F(LaunchTest, VersionOfBothTools) {
  for (const std::string& tool : {kLaunch, kInspect}) {
    Result r = run({tool, "--version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(std::regex_match(r.out, std::regex(R"(sgn-(launch|inspect) \(sgn\) [0-9]+\.[0-9]+\.[0-9]+\n)"))) << r.out;
  }
}

// What the bash completion asks: element types and a type's properties, plugin
// elements included (they are in the launcher's registry).
TEST_F(LaunchTest, CompletionWords) {
  Result types = run({kFaultyLaunch, "--complete", "types"});
  EXPECT_EQ(types.exit_code, 0);
  EXPECT_NE(types.out.find("\nfaulty\n"), std::string::npos) << types.out;
  EXPECT_NE(types.out.find("\nfir\n"), std::string::npos) << types.out;
  Result fir = run({kLaunch, "--complete", "properties", "fir"});
  EXPECT_EQ(fir.exit_code, 0);
  EXPECT_NE(fir.out.find("taps=\n"), std::string::npos) << fir.out;
  EXPECT_NE(fir.out.find("placement=\n"), std::string::npos) << fir.out;
  EXPECT_EQ(run({kLaunch, "--complete", "properties", "nope"}).exit_code, 2);
  Result options = run({kLaunch, "--complete", "options"});
  EXPECT_NE(options.out.find("--roudi-preset\n"), std::string::npos) << options.out;
}

// A 64 MiB /dev/shm (Docker's default): the default preset is refused naming the small
// one; with --roudi-preset small a process-mode pipeline runs.
TEST_F(LaunchTest, SmallRoudiPresetRunsInA64MiBDevShm) {
  const std::string pipeline = "sine-source frames=200 ! fir placement=process ! scale placement=process ! "
                               "stats-sink placement=process";
  auto in_64_mib = [&](const std::vector<std::string>& launch) {
    std::string command = "mount -t tmpfs -o size=64m sgn-small-shm /dev/shm && exec";
    for (const auto& word : launch) command += " '" + word + "'";
    return run({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", command});
  };
  Result refused = in_64_mib({kLaunch, "-q", pipeline});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("/dev/shm has 64.0 MiB free"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--roudi-preset small"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("/tmp/"), std::string::npos) << refused.err;

  const fs::path json = dir_ / "stats.json";
  Result small = in_64_mib({kLaunch, "-q", "--roudi-preset", "small", "--json", json.string(), pipeline});
  EXPECT_EQ(small.exit_code, 0) << small.err;
  EXPECT_EQ(small.err, "");
  EXPECT_EQ(json_elements(read_all(json))["stats-sink0"]["frames_in"], "200") << read_all(json);
}

}  // namespace
