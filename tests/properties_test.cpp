#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/properties.hpp>
#include <sgn/registry.hpp>

#include <cstdint>
#include <limits>

#include "support/expect_error.hpp"
#include "support/test_elements.hpp"

namespace sgn {
namespace {

const std::vector<PropertySpec>& specs() {
  static const std::vector<PropertySpec> list{
      property<bool>("enabled", true, "on or off"),
      property<std::int64_t>("count", 10, "how many", 0, 100),
      property<double>("gain", 1.5, "multiplier", -10.0, 10.0),
      property<std::string>("label", "hello", "a label"),
      property<int>("small", 3, "an int declared as int", -5, 5),
      property<float>("ratio", 0.25f, "a float", 0.0f, 1.0f),
  };
  return list;
}

Properties parse(const PropertyMap& given) { return Properties::parse("amp", "scale", specs(), given); }

// Parsing `given` fails with a PropertyError naming the element and every `expected` text.
void expect_error(const PropertyMap& given, std::vector<std::string> expected) {
  expected.push_back("'amp'");
  test::expect_error<PropertyError>([&] { parse(given); }, expected);
}

TEST(Properties, DefaultsFillUnsetValues) {
  const Properties p = parse({});
  EXPECT_TRUE(p.get<bool>("enabled"));
  EXPECT_EQ(p.get<std::int64_t>("count"), 10);
  EXPECT_EQ(p.get<double>("gain"), 1.5);
  EXPECT_EQ(p.get<std::string>("label"), "hello");
  EXPECT_EQ(p.get<int>("small"), 3);
  EXPECT_EQ(p.get<float>("ratio"), 0.25f);
  EXPECT_TRUE(p.contains("gain"));
  EXPECT_FALSE(p.contains("volume"));
}

TEST(Properties, ParsesEveryType) {
  const Properties p =
      parse({{"enabled", "false"}, {"count", "+42"}, {"gain", "-2.5e0"}, {"label", "a b=c"}, {"ratio", "1e-3"}});
  EXPECT_FALSE(p.get<bool>("enabled"));
  EXPECT_EQ(p.get<std::int64_t>("count"), 42);
  EXPECT_EQ(p.get<double>("gain"), -2.5);
  EXPECT_EQ(p.get<std::string>("label"), "a b=c");
  EXPECT_FLOAT_EQ(p.get<float>("ratio"), 0.001f);
  for (const char* yes : {"true", "1", "yes", "on"}) EXPECT_TRUE(parse({{"enabled", yes}}).get<bool>("enabled"));
  for (const char* no : {"false", "0", "no", "off"}) EXPECT_FALSE(parse({{"enabled", no}}).get<bool>("enabled"));
  EXPECT_EQ(parse({{"label", ""}}).get<std::string>("label"), "");
}

TEST(Properties, UnknownNameIsAnError) { expect_error({{"volume", "11"}}, {"volume", "11", "gain"}); }

TEST(Properties, WrongTypeIsAnError) {
  expect_error({{"count", "lots"}}, {"count", "lots"});
  expect_error({{"count", "1.5"}}, {"count", "1.5"});
  expect_error({{"count", ""}}, {"count"});
  expect_error({{"count", "99999999999999999999999"}}, {"count", "99999999999999999999999"});
  expect_error({{"gain", "loud"}}, {"gain", "loud"});
  expect_error({{"gain", "nan"}}, {"gain", "nan"});
  expect_error({{"gain", "inf"}}, {"gain", "inf"});
  expect_error({{"gain", "2x"}}, {"gain", "2x"});
  expect_error({{"enabled", "maybe"}}, {"enabled", "maybe"});
}

TEST(Properties, OutOfRangeIsAnError) {
  expect_error({{"count", "101"}}, {"count", "101", "range"});
  expect_error({{"count", "-1"}}, {"count", "-1", "range"});
  expect_error({{"gain", "10.5"}}, {"gain", "10.5", "range"});
  EXPECT_EQ(parse({{"count", "100"}}).get<std::int64_t>("count"), 100);  // bounds are inclusive
  EXPECT_EQ(parse({{"gain", "-10"}}).get<double>("gain"), -10.0);
}

TEST(Properties, ValuesBeyondEitherBoundNameTheValueAndTheBound) {
  expect_error({{"count", "101"}}, {"count", "101", "[0, 100]"});
  expect_error({{"count", "-1"}}, {"count", "-1", "[0, 100]"});
  expect_error({{"gain", "-10.000001"}}, {"gain", "-10.000001", "[-10, 10]"});
  expect_error({{"small", "6"}}, {"small", "6", "[-5, 5]"});
  expect_error({{"ratio", "1.5"}}, {"ratio", "1.5", "[0, 1]"});
  // Not even a number of the type: the message still gives the range.
  expect_error({{"count", "18446744073709551616"}}, {"count", "18446744073709551616", "[0, 100]"});
  expect_error({{"gain", "1e999"}}, {"gain", "1e999", "[-10, 10]"});
  expect_error({{"gain", "-inf"}}, {"gain", "-inf", "[-10, 10]"});
  expect_error({{"gain", "nan"}}, {"gain", "nan", "[-10, 10]"});
}

TEST(Properties, IntegerBoundsCompareExactly) {
  // 2^53 + 1 becomes 2^53 as a double: a range check in doubles would let it through.
  const std::vector<PropertySpec> specs{
      property<std::int64_t>("big", 0, "", -kMaxPropertyInteger, kMaxPropertyInteger)};
  EXPECT_EQ(Properties::parse("e", "t", specs, {{"big", "9007199254740992"}}).get<std::int64_t>("big"),
            kMaxPropertyInteger);
  EXPECT_THROW(Properties::parse("e", "t", specs, {{"big", "9007199254740993"}}), PropertyError);
  EXPECT_THROW(Properties::parse("e", "t", specs, {{"big", "-9007199254740993"}}), PropertyError);
}

// Numeric declarations without both bounds do not compile...
template <class T>
concept DeclarableWithoutBounds = requires { property<T>("x", T{}, "doc"); };
static_assert(!DeclarableWithoutBounds<std::int64_t> && !DeclarableWithoutBounds<int> &&
              !DeclarableWithoutBounds<double> && !DeclarableWithoutBounds<float>);
static_assert(DeclarableWithoutBounds<bool> && DeclarableWithoutBounds<std::string>);

// `declare` throws a PropertyError naming the property and every `expected` text.
template <class F>
void expect_declaration_error(F declare, std::vector<std::string> expected) {
  expected.push_back("'p'");
  test::expect_error<PropertyError>(declare, expected);
}

TEST(Properties, DeclarationsWithUnusableBoundsAreRefused) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  expect_declaration_error([] { property<int>("p", 5, "", 10, 1); }, {"min 10 exceeds max 1"});
  expect_declaration_error([] { property<std::int64_t>("p", 0, "", 0, INT64_MAX); },
                           {"not an integer of magnitude at most 9007199254740992"});
  expect_declaration_error([] { property<std::uint64_t>("p", 0, "", 0, UINT64_MAX); }, {"not an integer"});
  expect_declaration_error([] { property<std::int64_t>("p", 11, "", 0, 10); }, {"default 11", "[0, 10]"});
  expect_declaration_error([&] { property<double>("p", 0.0, "", -inf, 1.0); }, {"not finite"});
  expect_declaration_error([&] { property<double>("p", 0.0, "", 0.0, nan); }, {"not finite"});
  expect_declaration_error([&] { property<double>("p", nan, "", 0.0, 1.0); }, {"default nan"});
  EXPECT_NO_THROW(property<double>("p", 1.0, "", 1.0, 1.0));
}

TEST(Properties, NumericSpecsWithoutBoundsAreRefusedWhenParsed) {
  // A spec written by hand instead of with property<T>().
  for (auto type : {PropertyType::Int, PropertyType::Double}) {
    const std::vector<PropertySpec> specs{{"p", type, "1", "", std::nullopt, 5.0}};
    test::expect_error<PropertyError>([&] { Properties::parse("amp", "scale", specs, {}); },
                                      {"'amp'", "'p'", "both bounds"});
  }
  const std::vector<PropertySpec> fractional{{"p", PropertyType::Int, "1", "", 0.5, 5.0}};
  EXPECT_THROW(Properties::parse("amp", "scale", fractional, {}), PropertyError);
}

TEST(Properties, ToStringsRoundTrips) {
  const Properties p =
      parse({{"enabled", "off"}, {"count", "7"}, {"gain", "0.1"}, {"label", "x y"}, {"ratio", "0.3333333"}});
  const PropertyMap text = p.to_strings();
  EXPECT_EQ(text.size(), specs().size());
  EXPECT_EQ(text.at("enabled"), "false");
  EXPECT_EQ(text.at("count"), "7");
  const Properties again = parse(text);
  EXPECT_EQ(again.get<bool>("enabled"), false);
  EXPECT_EQ(again.get<std::int64_t>("count"), 7);
  EXPECT_EQ(again.get<double>("gain"), 0.1);  // exact: the text is the shortest round trip
  EXPECT_EQ(again.get<double>("ratio"), p.get<double>("ratio"));
  EXPECT_EQ(again.get<std::string>("label"), "x y");
  EXPECT_EQ(again.to_strings(), text);
}

TEST(Properties, DefaultsAreWrittenAsParsableText) {
  for (const auto& spec : specs()) {
    EXPECT_NO_THROW(parse({{spec.name, spec.default_value}})) << spec.name << "=" << spec.default_value;
  }
  EXPECT_EQ(to_string(PropertyType::Double), "double");
}

TEST(Properties, UndeclaredNameOnGet) { EXPECT_THROW(parse({}).get<double>("volume"), PropertyError); }

TEST(Properties, ReservedNamesAreRefusedAtRegistration) {
  for (const auto& name : reserved_property_names()) {
    Registry registry;
    ElementType type{{"test-reserved", "", {property<std::int64_t>(name, 1, "", 0, 1)}}, nullptr};
    try {
      registry.add(std::move(type));
      FAIL() << name << " was accepted";
    } catch (const PropertyError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("test-reserved"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(registry.contains("test-reserved"));
  }
}

TEST(Properties, RegistryMakeReportsPropertyErrorsWithTheElementName) {
  Registry registry;
  test::register_test_elements(registry);
  try {
    registry.make("test-count-source", "numbers", {{"count", "-7"}});
    FAIL() << "no PropertyError";
  } catch (const PropertyError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("numbers"), std::string::npos) << what;
    EXPECT_NE(what.find("count"), std::string::npos) << what;
    EXPECT_NE(what.find("-7"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace sgn
