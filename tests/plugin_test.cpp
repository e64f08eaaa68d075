// Element plugins: the loader and each of its refusals (every message names the file),
// then a plugin's elements from the stock sgn-launch in thread and process placement
// and from sgn-inspect (origin, schema fields, --json), and sgn-inspect of elements
// that cannot be made with default properties. Runs under support/private_shm.sh (the
// process-mode runs start a RouDi), which also fails the test if anything is left.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sgn/elements/register.hpp>
#include <sgn/plugin.hpp>
#include <sgn/plugins.hpp>
#include <sgn/registry.hpp>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace {

namespace fs = std::filesystem;
using sgn::test::json_elements;
using sgn::test::Result;

const std::string kGood = SGN_TEST_PLUGIN_GOOD;  // test-tally, test-tally-sink
const std::string kGoodDir = fs::path(kGood).parent_path().string();

std::string canonical(const std::string& path) { return fs::canonical(path).string(); }

class PluginTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(dir_); }
  void TearDown() override { fs::remove_all(dir_); }

  /// load_plugin's PluginError for `file`, with its message checked to name the file.
  std::string refusal(const std::string& file, sgn::Registry& registry) {
    try {
      sgn::load_plugin(file, registry);
    } catch (const sgn::PluginError& e) {
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
      EXPECT_EQ(e.file(), file);
      return e.what();
    }
    ADD_FAILURE() << file << " was loaded";
    return "";
  }
  std::string refusal(const std::string& file) {
    sgn::Registry registry;
    const std::string what = refusal(file, registry);
    EXPECT_FALSE(registry.contains("test-tally")) << "a refused plugin registered a type";
    return what;
  }

  Result run(std::vector<std::string> args, std::vector<std::string> env = {}) {
    sgn::test::StartOptions options;
    options.env = std::move(env);
    return runner_.run(std::move(args), options);
  }

  fs::path dir_ = fs::temp_directory_path() / ("sgn-plugin-test-" + std::to_string(::getpid()));
  sgn::test::ChildRunner runner_{dir_};
};

TEST_F(PluginTest, LoadsAPluginAndRecordsItsFileAsTheTypesOrigin) {
  sgn::Registry registry;
  sgn::elements::register_all(registry);
  const sgn::LoadedPlugin plugin = sgn::load_plugin(kGood, registry);
  EXPECT_EQ(plugin.file, canonical(kGood));
  EXPECT_EQ(plugin.types, (std::vector<std::string>{"test-tally", "test-tally-sink"}));
  EXPECT_EQ(registry.origin("test-tally"), canonical(kGood));
  EXPECT_EQ(registry.origin("fir"), "");
  auto element = registry.make("test-tally", "t", {{"scale", "2"}});
  ASSERT_EQ(element->outputs().size(), 1u);
  EXPECT_EQ(element->outputs()[0].type.name, "Tally");
  // Loading it again into the same registry changes nothing.
  EXPECT_NO_THROW(sgn::load_plugin(kGood, registry));
}

TEST_F(PluginTest, AFileThatIsNotASharedLibraryIsRefused) {
  const std::string bogus = (dir_ / "bogus.so").string();
  std::ofstream(bogus) << "not an ELF file\n";
  const std::string what = refusal(bogus);
  EXPECT_NE(what.find("is not a shared library (dlopen: "), std::string::npos) << what;
}

TEST_F(PluginTest, AnotherSgnVersionIsRefused) {
  const std::string what = refusal(SGN_TEST_PLUGIN_BAD_VERSION);
  EXPECT_NE(what.find("built for sgn 0.0.1-old, this program is sgn " SGN_VERSION_STRING), std::string::npos) << what;
}

TEST_F(PluginTest, AnotherPluginAbiVersionIsRefused) {
  const std::string what = refusal(SGN_TEST_PLUGIN_BAD_ABI);
  EXPECT_NE(what.find("built for plugin ABI 42, this program loads plugin ABI 1"), std::string::npos) << what;
}

TEST_F(PluginTest, AnotherCppLibraryAbiIsRefused) {
  const std::string what = refusal(SGN_TEST_PLUGIN_BAD_TAG);
  EXPECT_NE(what.find("'libc++ abi 1, capnp 9002'"), std::string::npos) << what;
  EXPECT_NE(what.find("C++ ABIs differ"), std::string::npos) << what;
}

TEST_F(PluginTest, AMissingEntryPointIsRefusedSayingWhatIsThereInstead) {
  std::string what = refusal(SGN_TEST_PLUGIN_NO_ENTRY);
  EXPECT_NE(what.find("has no symbol sgn_plugin_v1: not an sgn plugin"), std::string::npos) << what;
  what = refusal(SGN_TEST_PLUGIN_V2_ENTRY);
  EXPECT_NE(what.find("has no symbol sgn_plugin_v1 but sgn_plugin_v2: it was built for plugin ABI 2"),
            std::string::npos)
      << what;
}

TEST_F(PluginTest, ATypeNameTakenByABuiltInElementIsRefusedWithoutAbort) {
  sgn::Registry registry;
  sgn::elements::register_all(registry);
  const std::string what = refusal(SGN_TEST_PLUGIN_DUPLICATE_BUILTIN, registry);
  EXPECT_NE(what.find("registers element type 'scale', which is already registered (built in)"), std::string::npos)
      << what;
  EXPECT_EQ(registry.origin("scale"), "");
  EXPECT_EQ(registry.at("scale").info.description.find("test plugin"), std::string::npos);
}

TEST_F(PluginTest, ATypeNameTakenByAnotherPluginIsRefusedNamingBothFiles) {
  sgn::Registry registry;
  sgn::load_plugin(kGood, registry);
  const std::string what = refusal(SGN_TEST_PLUGIN_COPY, registry);
  EXPECT_NE(what.find("registers element type 'test-tally', which is already registered (by plugin '" +
                      canonical(kGood) + "')"),
            std::string::npos)
      << what;
  EXPECT_EQ(registry.origin("test-tally"), canonical(kGood));
}

TEST_F(PluginTest, ARegistrationThatThrowsRegistersNothing) {
  const std::string what = refusal(SGN_TEST_PLUGIN_THROWS);
  EXPECT_NE(what.find("registering its element types failed: the test plugin refuses to register"), std::string::npos)
      << what;
}

TEST_F(PluginTest, AFileOrDirectoryOthersCouldWriteIsRefusedBeforeItIsOpened) {
  const fs::path writable = dir_ / "writable";
  fs::create_directories(writable);
  fs::copy_file(kGood, writable / "p.so");
  ::chmod((writable / "p.so").c_str(), 0666);
  std::string what = refusal((writable / "p.so").string());
  EXPECT_NE(what.find("is writable by group or others (mode 0666)"), std::string::npos) << what;

  ::chmod((writable / "p.so").c_str(), 0644);
  ::chmod(writable.c_str(), 0777);  // no sticky bit: anyone may replace p.so
  what = refusal((writable / "p.so").string());
  EXPECT_NE(what.find("its directory '" + canonical(writable.string()) + "' is writable by group or others"),
            std::string::npos)
      << what;
  ::chmod(writable.c_str(), 01777);  // sticky, as /tmp: only the owner may replace it
  sgn::Registry registry;
  EXPECT_NO_THROW(sgn::load_plugin((writable / "p.so").string(), registry));

  if (::geteuid() == 0) {  // another user's file
    ::chmod(writable.c_str(), 0755);
    ASSERT_EQ(::chown((writable / "p.so").c_str(), 65534, 65534), 0);
    what = refusal((writable / "p.so").string());
    EXPECT_NE(what.find("is owned by uid 65534, neither root nor this user"), std::string::npos) << what;
  }
}

TEST_F(PluginTest, APluginPathListsFilesAndDirectoriesAndAMissingEntryIsAnErrorOnlyWhenRequired) {
  const fs::path a = dir_ / "a", b = dir_ / "b";
  fs::create_directories(a);
  fs::create_directories(b);
  std::ofstream(a / "2.so") << "x";
  std::ofstream(a / "1.so") << "x";
  std::ofstream(a / "readme.txt") << "x";
  std::ofstream(b / "3.so") << "x";
  const std::string missing = (dir_ / "missing").string();
  EXPECT_EQ(sgn::plugin_files(a.string() + "::" + (b / "3.so").string() + ":" + missing, false),
            (std::vector<std::string>{(a / "1.so").string(), (a / "2.so").string(), (b / "3.so").string()}));
  try {
    sgn::plugin_files(a.string() + ":" + missing, true);
    ADD_FAILURE() << "a missing --plugin-path entry was accepted";
  } catch (const sgn::PluginError& e) {
    EXPECT_EQ(std::string(e.what()), "plugin '" + missing + "': no such file or directory");
  }
}

// The stock programs.

TEST_F(PluginTest, APluginElementRunsFromTheStockLauncherInThreadAndProcessPlacement) {
  for (const std::string placement : {"thread", "process"}) {
    SCOPED_TRACE(placement);
    // Given on the command line only: the workers get the plugin from the main process.
    const Result r = run({SGN_LAUNCH_PATH, "-q", "--plugin-path", kGoodDir, "--json", "-",
                          "sine-source frames=300 ! test-tally name=t scale=2 placement=" + placement +
                              " ! test-tally-sink name=k placement=" + placement});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto elements = json_elements(r.out);
    EXPECT_EQ(elements["t"]["frames_in"], "300") << r.out;
    EXPECT_EQ(elements["k"]["frames_in"], "300") << r.out;
    EXPECT_EQ(elements["k"]["placement"], "\"" + placement + "\"") << r.out;
  }
  // From SGN_PLUGIN_PATH, a file this time.
  const Result r =
      run({SGN_LAUNCH_PATH, "-q", "sine-source frames=50 ! test-tally placement=process ! test-tally-sink"},
          {"SGN_PLUGIN_PATH=/nonexistent:" + kGood});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(PluginTest, TheStockLauncherReportsABadPluginNamingItsFile) {
  Result r = run({SGN_LAUNCH_PATH, "--plugin-path", SGN_TEST_PLUGIN_BAD_VERSION, "sine-source ! null-sink"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ERROR: plugin '" SGN_TEST_PLUGIN_BAD_VERSION "': was built for sgn 0.0.1-old"),
            std::string::npos)
      << r.err;
  r = run({SGN_INSPECT_PATH, "--plugin-path", (dir_ / "missing").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no such file or directory"), std::string::npos) << r.err;
}

TEST_F(PluginTest, InspectShowsAPluginElementsOriginAndItsPadsSchemaFields) {
  Result r = run({SGN_INSPECT_PATH, "--plugin-path", kGood});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[plugin " + canonical(kGood) + "]"), std::string::npos) << r.out;

  r = run({SGN_INSPECT_PATH, "--plugin-path", kGood, "test-tally"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Origin: plugin " + canonical(kGood)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("out  output  Tally"), std::string::npos) << r.out;
  // name, ordinal, type: in columns
  for (const char* line :
       {R"(frames +@0 +UInt64\n)", R"(last +group\n)", R"(last\.channels +@4 +UInt32  \(union\)\n)",
        R"(first +@5 +Samples\n)", R"(first\.data +@3 +List\(Float32\)\n)",  // a struct's fields follow
        R"(\n    data +@3 +List\(Float32\)\n)"}) {                           // the input's Samples
    EXPECT_TRUE(std::regex_search(r.out, std::regex(line))) << line << " in\n" << r.out;
  }

  r = run({SGN_INSPECT_PATH, "--plugin-path", kGood, "--json", "test-tally"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"format\": \"sgn-inspect\", \"format_version\": 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"origin\": \"plugin\", \"plugin_file\": \"" + canonical(kGood) + "\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"name\": \"out\", \"direction\": \"output\", \"schema\": {\"name\": \"Tally\", \"id\": \"0x"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"name\": \"frames\", \"ordinal\": 0, \"type\": \"UInt64\", \"union\": false}"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("{\"name\": \"last.empty\", \"ordinal\": 3, \"type\": \"Void\", \"union\": true}"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"placements\": [\"main\", \"thread\", \"process\"]"), std::string::npos) << r.out;

  r = run({SGN_INSPECT_PATH, "--json"}, {"SGN_PLUGIN_PATH=" + kGoodDir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("{\"type\": \"fir\", \"description\": "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"origin\": \"built-in\", \"plugin_file\": null"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("{\"file\": \"" + canonical(kGood) + "\", \"types\": [\"test-tally\", \"test-tally-sink\"]}"),
            std::string::npos)
      << r.out;
}

TEST_F(PluginTest, InspectDescribesElementsWithoutUsableDefaultsAndOnlyThePlacementsTheyAccept) {
  for (const std::string type : {"file-source", "file-sink"}) {
    SCOPED_TRACE(type);
    Result r = run({SGN_INSPECT_PATH, type});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("unknown"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(type == "file-source" ? "out  output  Samples" : "in  input   Samples"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("sampleRate"), std::string::npos) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(placement +string +"thread" +thread\|process +where)")))
        << r.out;
    EXPECT_EQ(r.out.find("\"main\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Placements: thread, process"), std::string::npos) << r.out;

    r = run({SGN_INSPECT_PATH, "--json", type});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"placements\": [\"thread\", \"process\"]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"default_placement\": \"thread\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"pads_unknown_reason\": null"), std::string::npos) << r.out;
  }
}

}  // namespace
