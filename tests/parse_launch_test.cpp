// parse_launch: descriptions that build the right graph, and every kind of parse
// error with its caret at the offending token.

#include <gtest/gtest.h>
#include <sgn/elements/register.hpp>
#include <sgn/elements/stats_sink.hpp>
#include <sgn/error.hpp>
#include <sgn/parse_launch.hpp>

#include <string>

namespace sgn {
namespace {

class ParseLaunchTest : public ::testing::Test {
 protected:
  ParseLaunchTest() { elements::register_all(registry_); }

  PipelineOptions options() {
    PipelineOptions o;
    o.registry = &registry_;
    return o;
  }
  Pipeline parse(std::string_view text) { return parse_launch(text, options()); }

  /// Parses `text`, which must fail; returns the error.
  ParseError error_of(std::string_view text) {
    try {
      parse(text);
    } catch (const ParseError& e) {
      return e;
    }
    ADD_FAILURE() << "no ParseError for: " << text;
    return ParseError("none", "", 0);
  }

  /// `text` fails at the first occurrence of `at` (the offending token), with `reason` in the message.
  void expect_error(std::string_view text, std::string_view at, std::string_view reason) {
    SCOPED_TRACE(std::string(text));
    const ParseError e = error_of(text);
    const auto expected = text.find(at);
    ASSERT_NE(expected, std::string_view::npos) << "bad test: '" << at << "' not in the text";
    EXPECT_EQ(e.position(), expected) << e.what();
    EXPECT_NE(e.reason().find(reason), std::string::npos) << e.what();
    // The message shows the line and a caret under the token.
    const std::string caret = "\n  " + std::string(expected, ' ') + "^";
    EXPECT_NE(std::string(e.what()).find(caret), std::string::npos) << e.what();
  }

  static std::vector<std::string> link_strings(const Pipeline& p) {
    std::vector<std::string> out;
    for (const auto& l : p.links()) out.push_back(l.from + ":" + l.from_pad + " -> " + l.to + ":" + l.to_pad);
    return out;
  }

  Registry registry_;
};

using Links = std::vector<std::string>;

TEST_F(ParseLaunchTest, LinearChainGetsDefaultNamesAndProperties) {
  Pipeline p = parse("sine-source rate=16384 channels=8 frames=10 ! fir taps=32 ! scale gain=2 ! stats-sink");
  EXPECT_EQ(p.element_names(), (std::vector<std::string>{"sine-source0", "fir0", "scale0", "stats-sink0"}));
  EXPECT_EQ(link_strings(p), (Links{"sine-source0:out -> fir0:in", "fir0:out -> scale0:in",
                                    "scale0:out -> stats-sink0:in"}));
  EXPECT_EQ(p.element("sine-source0").properties().get<std::int64_t>("channels"), 8);
  EXPECT_EQ(p.element("fir0").properties().get<std::int64_t>("taps"), 32);
  EXPECT_DOUBLE_EQ(p.element("scale0").properties().get<double>("gain"), 2.0);
  EXPECT_EQ(p.placement("fir0"), Placement::Main);
  p.validate();
}

TEST_F(ParseLaunchTest, ParsedPipelineRuns) {
  Pipeline p = parse("sine-source frames=25 ! scale gain=2 placement=thread ! stats-sink name=out");
  const RunReport report = p.run();
  EXPECT_EQ(report.find("out")->frames_in, 25u);
  EXPECT_EQ(report.find("scale0")->placement, Placement::Thread);
  EXPECT_EQ(dynamic_cast<const elements::StatsSink&>(p.element("out")).stats().frames, 25u);
}

TEST_F(ParseLaunchTest, IndexPerTypeAndExplicitNamesAreSkipped) {
  Pipeline p = parse("sine-source ! fir ! fir name=fir0 ! fir ! stats-sink");
  EXPECT_EQ(p.element_names(), (std::vector<std::string>{"sine-source0", "fir1", "fir0", "fir2", "stats-sink0"}));
}

TEST_F(ParseLaunchTest, NamedElementsAndFanOut) {
  Pipeline p = parse("sine-source name=s ! fir ! stats-sink   s. ! scale gain=3 ! stats-sink name=k");
  EXPECT_EQ(link_strings(p), (Links{"s:out -> fir0:in", "fir0:out -> stats-sink0:in", "s:out -> scale0:in",
                                    "scale0:out -> k:in"}));
  p.validate();
}

TEST_F(ParseLaunchTest, PadReferencesNameElementsBeforeOrAfterAndPads) {
  Pipeline p = parse("s.out ! f.in   sine-source name=s   fir name=f ! stats-sink");
  EXPECT_EQ(link_strings(p), (Links{"s:out -> f:in", "f:out -> stats-sink0:in"}));
  // A reference in the middle of a chain: into one pad, out of another.
  Pipeline q = parse("sine-source ! f.in f.out ! stats-sink   fir name=f");
  EXPECT_EQ(link_strings(q), (Links{"sine-source0:out -> f:in", "f:out -> stats-sink0:in"}));
  Pipeline r = parse("sine-source ! f. ! stats-sink  fir name=f");
  EXPECT_EQ(link_strings(r), link_strings(q));
}

TEST_F(ParseLaunchTest, QuotedValues) {
  Pipeline p = parse(R"(sine-source ! file-sink name=a location="/tmp/a b!c.sgn"   )"
                     R"(sine-source ! file-sink name=b location='/tmp/it "quoted"'   )"
                     R"(sine-source ! file-sink name=c location="say \"hi\" \\ bye"   )"
                     R"(sine-source ! file-sink name=d location=/tmp/"mixed part")");
  EXPECT_EQ(p.element("a").properties().get<std::string>("location"), "/tmp/a b!c.sgn");
  EXPECT_EQ(p.element("b").properties().get<std::string>("location"), "/tmp/it \"quoted\"");
  EXPECT_EQ(p.element("c").properties().get<std::string>("location"), "say \"hi\" \\ bye");
  EXPECT_EQ(p.element("d").properties().get<std::string>("location"), "/tmp/mixed part");
  // A quoted name works like a bare one.
  Pipeline q = parse(R"(sine-source name="src" ! stats-sink  'src'.out ! stats-sink)");
  EXPECT_EQ(link_strings(q).size(), 2u);
}

TEST_F(ParseLaunchTest, PlacementIsKeptByTheParser) {
  Pipeline p = parse("sine-source placement=thread ! fir placement=process ! scale placement=main ! stats-sink");
  EXPECT_EQ(p.placement("sine-source0"), Placement::Thread);
  EXPECT_EQ(p.placement("fir0"), Placement::Process);
  EXPECT_EQ(p.placement("scale0"), Placement::Main);
  EXPECT_FALSE(p.element("fir0").properties().contains("placement"));
  // file-sink cannot run in main: without a placement it takes its own.
  Pipeline q = parse("sine-source ! file-sink location=/tmp/x");
  EXPECT_EQ(q.placement("file-sink0"), Placement::Thread);
}

TEST_F(ParseLaunchTest, ForcedPlacementOverridesTheDescription) {
  Pipeline p = parse_launch("sine-source ! fir placement=process ! stats-sink", options(), Placement::Thread);
  for (const auto& name : p.element_names()) EXPECT_EQ(p.placement(name), Placement::Thread) << name;
}

TEST_F(ParseLaunchTest, SeveralLinesAndComments) {
  Pipeline p = parse("# a sensor\nsine-source name=s frames=5   # eight channels\n  ! fir\n  ! stats-sink\n");
  EXPECT_EQ(link_strings(p), (Links{"s:out -> fir0:in", "fir0:out -> stats-sink0:in"}));
  Pipeline q = parse("sine-source!fir!stats-sink");
  EXPECT_EQ(link_strings(q).size(), 2u);
}

TEST_F(ParseLaunchTest, JoinLaunchArgsQuotesValuesThatNeedIt) {
  EXPECT_EQ(join_launch_args({"sine-source", "!", "file-sink", "location=/tmp/a b"}),
            "sine-source ! file-sink location=\"/tmp/a b\"");
  EXPECT_EQ(join_launch_args({"sine-source frames=3 ! stats-sink"}), "sine-source frames=3 ! stats-sink");
  EXPECT_EQ(join_launch_args({"x=say \"a\"!"}), "x=\"say \\\"a\\\"!\"");
  Pipeline p = parse(join_launch_args({"sine-source", "!", "file-sink", "location=/tmp/a b \"c\""}));
  EXPECT_EQ(p.element("file-sink0").properties().get<std::string>("location"), "/tmp/a b \"c\"");
}

// ---------------------------------------------------------------- errors

TEST_F(ParseLaunchTest, UnknownElementTypeSuggestsTheClosest) {
  const std::string text = "sine-source ! fitr taps=3 ! stats-sink";
  expect_error(text, "fitr", "no element type 'fitr' (did you mean 'fir'?)");
  const ParseError e = error_of(text);
  EXPECT_EQ(e.line(), 1u);
  EXPECT_EQ(e.column(), 15u);
  EXPECT_EQ(std::string(e.what()),
            "at column 15: no element type 'fitr' (did you mean 'fir'?)\n"
            "  sine-source ! fitr taps=3 ! stats-sink\n"
            "                ^~~~");
}

TEST_F(ParseLaunchTest, PropertyErrors) {
  expect_error("sine-source ! fir tapz=3 ! stats-sink", "tapz", "has no property 'tapz' (did you mean 'taps'?)");
  expect_error("sine-source ! fir taps=abc ! stats-sink", "abc", "taps");
  expect_error("sine-source ! fir taps=0 ! stats-sink", "0 !", "taps");
  expect_error("sine-source ! fir taps=3 taps=4 ! stats-sink", "taps=4", "given twice");
  expect_error("sine-source ! fir =3 ! stats-sink", "=3", "needs a name");
  expect_error("rate=5 sine-source ! stats-sink", "rate=5", "before any element");
  expect_error("sine-source name=s ! stats-sink  s. gain=2 ! stats-sink", "gain=2", "belong to an element");
}

TEST_F(ParseLaunchTest, PlacementErrors) {
  expect_error("sine-source ! fir placement=gpu ! stats-sink", "gpu", "unknown placement 'gpu'");
  expect_error("sine-source ! file-sink location=/tmp/x placement=main", "main", "cannot run in placement 'main'");
}

TEST_F(ParseLaunchTest, SpinUsIsTheEnginesAndItsBoundsAreEnforcedAtTheValue) {
  expect_error("sine-source ! fir spin_us=100001 ! stats-sink", "100001", "spin_us");
  expect_error("sine-source ! fir spin_us=-5 ! stats-sink", "-5", "100000");
  expect_error("sine-source ! fir spin_us=fast ! stats-sink", "fast", "'fir0'");
  expect_error("sine-source ! fir spin_us=1 spin_us=2 ! stats-sink", "spin_us=2", "given twice");
  Pipeline p = parse("sine-source ! fir name=f spin_us=100000 ! stats-sink spin_us=0");
  EXPECT_FALSE(p.element("f").properties().contains("spin_us"));
  EXPECT_NO_THROW(p.validate());
}

TEST_F(ParseLaunchTest, SyntaxErrors) {
  expect_error("", "", "empty pipeline");
  expect_error("! fir ! stats-sink", "!", "'!' must follow");
  expect_error("sine-source ! ! stats-sink", "! stats", "another '!'");
  const ParseError trailing = error_of("sine-source ! fir !");
  EXPECT_EQ(trailing.position(), 18u);
  EXPECT_NE(trailing.reason().find("ends after '!'"), std::string::npos) << trailing.what();
  expect_error("sine-source ! fir ! file-sink location=\"/tmp/x", "\"/tmp", "unterminated double quote");
  expect_error("sine-source ! fir ! file-sink location='/tmp/x", "'/tmp", "unterminated single quote");
  expect_error("sine-source ! fir ! .out", ".out", "needs an element name");
  expect_error("sine-source name=s ! stats-sink s.", "s.", "not linked to anything");
  expect_error("sine-source name=s ! stats-sink s. fir", "s. fir", "not linked to anything");
}

TEST_F(ParseLaunchTest, NameErrors) {
  expect_error("sine-source name=s ! fir name=s ! stats-sink", "s ! stats", "duplicate element name 's'");
  expect_error("sine-source name=a.b ! stats-sink", "a.b", "invalid element name");
  expect_error("sine-source name=src ! stats-sink  scr. ! stats-sink", "scr.",
               "no element named 'scr' in the description (did you mean 'src'?)");
}

TEST_F(ParseLaunchTest, LinkErrors) {
  expect_error("sine-source name=s ! stats-sink  s.output ! stats-sink", "output", "has no output pad 'output'");
  expect_error("sine-source ! null-sink", "!", "schema types differ");
  expect_error("sine-source ! stats-sink ! fir", "stats-sink", "has no output pads");
  expect_error("sine-source ! f.in  sine-source ! f.in  fir name=f ! stats-sink", "f.in  fir", "already linked");
  expect_error("sine-source ! fir name=f  sine-source ! f. ! stats-sink", "f. !", "every input pad");
}

TEST_F(ParseLaunchTest, MultiLineErrorsNameLineAndColumn) {
  const ParseError e = error_of("sine-source\n  ! fitr\n  ! stats-sink");
  EXPECT_EQ(e.line(), 2u);
  EXPECT_EQ(e.column(), 5u);
  EXPECT_EQ(std::string(e.what()), "at line 2, column 5: no element type 'fitr' (did you mean 'fir'?)\n    ! fitr\n      ^~~~");
}

TEST_F(ParseLaunchTest, ParseErrorIsAnSgnError) {
  try {
    parse("nothing-like-this");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(dynamic_cast<const ParseError*>(&e), nullptr);
  }
}

}  // namespace
}  // namespace sgn
