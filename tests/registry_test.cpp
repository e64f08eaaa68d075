#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/registry.hpp>

#include "support/test_elements.hpp"

namespace sgn {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { test::register_test_elements(registry); }
  Registry registry;
};

TEST_F(RegistryTest, KnowsWhatWasRegistered) {
  EXPECT_TRUE(registry.contains("test-count-source"));
  EXPECT_FALSE(registry.contains("test-count"));
  const auto names = registry.names();
  EXPECT_NE(std::find(names.begin(), names.end(), "test-check-sink"), names.end());
  EXPECT_EQ(registry.at("test-transform").info.properties.size(), 5u);
}

TEST_F(RegistryTest, MakesAnElementWithParsedProperties) {
  auto element = registry.make("test-count-source", "numbers", {{"count", "3"}});
  ASSERT_TRUE(element);
  EXPECT_EQ(element->name(), "numbers");
  EXPECT_EQ(element->type_name(), "test-count-source");
  EXPECT_EQ(element->properties().get<std::int64_t>("count"), 3);
  EXPECT_EQ(element->properties().get<std::int64_t>("bytes"), 8);
  ASSERT_EQ(element->outputs().size(), 1u);
  EXPECT_EQ(element->outputs()[0].name, "out");
  EXPECT_EQ(element->outputs()[0].type.name, "Bytes");
  EXPECT_TRUE(element->inputs().empty());
}

TEST_F(RegistryTest, UnknownNameSuggestsTheClosest) {
  try {
    registry.at("test-count-sorce");
    FAIL() << "no ValidationError";
  } catch (const ValidationError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("test-count-sorce"), std::string::npos) << what;
    EXPECT_NE(what.find("did you mean 'test-count-source'"), std::string::npos) << what;
  }
  EXPECT_EQ(registry.suggest("test-transfrom"), "test-transform");
  EXPECT_EQ(registry.suggest("check-sink"), "test-check-sink");
}

TEST_F(RegistryTest, UnknownNameWithNothingCloseHasNoHint) {
  try {
    registry.make("zzzzzzzz", "x", {});
    FAIL() << "no ValidationError";
  } catch (const ValidationError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("zzzzzzzz"), std::string::npos) << what;
    EXPECT_EQ(what.find("did you mean"), std::string::npos) << what;
  }
}

TEST_F(RegistryTest, SameTypeTwiceIsHarmlessAnotherTypeUnderTheSameNameIsNot) {
  EXPECT_NO_THROW(registry.add<test::CountSource>());
  ElementType impostor{test::CountSource::describe(), nullptr};
  EXPECT_THROW(registry.add(std::move(impostor)), Error);
  EXPECT_TRUE(registry.at("test-count-source").make);  // the first registration stays
}

}  // namespace
}  // namespace sgn
