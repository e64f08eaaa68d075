#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/registry.hpp>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/test_elements.hpp"

namespace sgn {
namespace {

// Throws from its constructor what its `fail` property says.
class ThrowingSource final : public Source<schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-throwing-source", "throws from its constructor",
            {property<std::string>("fail", "invalid-argument", "invalid-argument, bad-variant, property, none"),
             property<double>("gain", 1.0, "a double", 0.0, 2.0)}};
  }
  explicit ThrowingSource(const ElementArgs& args) : Source(args) {
    const auto fail = properties().get<std::string>("fail");
    if (fail == "invalid-argument") throw std::invalid_argument("bad argument");
    if (fail == "bad-variant") (void)properties().get<int>("gain");
    if (fail == "property") throw PropertyError("element '" + args.name + "': gain does not suit");
  }
  Flow produce(schema::Bytes::Builder, Context&) override { return Flow::Eos; }
};

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

TEST_F(RegistryTest, KnowsTheStaticPadsOfSourcesTransformsAndSinksButNotOfWorkerElements) {
  const ElementInfo& transform = registry.at("test-transform").info;
  ASSERT_TRUE(transform.inputs && transform.outputs);
  ASSERT_EQ(transform.inputs->size(), 1u);
  EXPECT_EQ((*transform.inputs)[0].name, "in");
  EXPECT_EQ((*transform.outputs)[0].type, schema_type<schema::Bytes>());
  EXPECT_TRUE(registry.at("test-count-source").info.inputs->empty());
  EXPECT_TRUE(registry.at("test-check-sink").info.outputs->empty());
  EXPECT_FALSE(registry.at("test-counting-worker").info.inputs);  // its constructor chooses
  EXPECT_TRUE(registry.at("test-counting-worker").info.placements.empty());
}

TEST_F(RegistryTest, AnInstanceThatDisagreesWithItsDeclaredShapeIsAnError) {
  ElementInfo info = test::CountingWorker::describe();
  info.type_name = "test-declared-worker";
  info.placements = {Placement::Process};  // the instance says thread and process
  registry.add(ElementType{info, [](const ElementArgs& args) -> std::unique_ptr<Element> {
                             return std::make_unique<test::CountingWorker>(args);
                           }});
  try {
    registry.make("test-declared-worker", "w", {});
    FAIL() << "no Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "element type 'test-declared-worker' declares placements process in its ElementInfo, but its "
                           "instance 'w' has thread, process");
  }
}

// A type whose property chooses its pads' schema (dds-sink, dds-source) declares the pads
// with the default type: an instance of another type passes, other pad names do not.
TEST_F(RegistryTest, APropertyChosenPadTypeIsCheckedByNameOnly) {
  const auto add = [&](const std::string& type, const std::string& in_pad) {
    ElementInfo info = test::CountingWorker::describe();
    info.type_name = type;
    info.inputs = std::vector<PadSpec>{{in_pad, schema_type<schema::Samples>()}};  // the instance has Bytes
    info.outputs = std::vector<PadSpec>{{"out", schema_type<schema::Samples>()}};
    info.pad_schema_property = "schema";
    registry.add(ElementType{info, [](const ElementArgs& args) -> std::unique_ptr<Element> {
                               return std::make_unique<test::CountingWorker>(args);
                             }});
  };
  add("test-chosen-worker", "in");
  EXPECT_NO_THROW(registry.make("test-chosen-worker", "w", {}));
  add("test-misnamed-worker", "input");
  try {
    registry.make("test-misnamed-worker", "w", {});
    FAIL() << "no Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "element type 'test-misnamed-worker' declares input pads input (Samples) in its "
                           "ElementInfo, but its instance 'w' has in (Bytes)");
  }
}

TEST_F(RegistryTest, MergesAnotherRegistryRecordingTheOriginAndRefusesATakenName) {
  EXPECT_EQ(registry.origin("test-transform"), "");
  Registry plugin;
  plugin.add<test::CountingWorker>();
  try {
    registry.merge(std::move(plugin), "/p/a.so");
    FAIL() << "no Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "element type 'test-counting-worker' of plugin '/p/a.so' is already registered (built in)");
  }
  Registry fresh;
  Registry other;
  other.add<test::CountingWorker>();
  fresh.merge(std::move(other), "/p/a.so");
  EXPECT_EQ(fresh.origin("test-counting-worker"), "/p/a.so");
  EXPECT_TRUE(fresh.make("test-counting-worker", "w", {}));
  Registry again;
  again.add<test::CountingWorker>();
  try {
    fresh.merge(std::move(again), "/p/b.so");
    FAIL() << "no Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "element type 'test-counting-worker' of plugin '/p/b.so' is already registered (by plugin '/p/a.so')");
  }
}

// Whatever a constructor throws (but a PropertyError) is an ElementError naming the
// element and the exception's type, with the exception nested; never terminate().
TEST_F(RegistryTest, AConstructorsExceptionBecomesAnElementError) {
  registry.add<ThrowingSource>();
  for (const auto& [fail, type] : std::vector<std::pair<std::string, std::string>>{
           {"invalid-argument", "std::invalid_argument"}, {"bad-variant", "std::bad_variant_access"}}) {
    try {
      (void)registry.make("test-throwing-source", "thrower", {{"fail", fail}});
      FAIL() << "no ElementError for " << fail;
    } catch (const ElementError& e) {
      EXPECT_EQ(e.element(), "thrower");
      EXPECT_EQ(e.site().pid, static_cast<long>(::getpid()));
      EXPECT_NE(std::string(e.what()).find("element 'thrower' (test-throwing-source): its constructor threw " + type),
                std::string::npos)
          << e.what();
      bool nested = false;
      try {
        std::rethrow_if_nested(e);
      } catch (const std::exception& inner) {
        nested = exception_type_name(inner) == type;
      }
      EXPECT_TRUE(nested) << fail;
    }
  }
  EXPECT_THROW((void)registry.make("test-throwing-source", "thrower", {{"fail", "property"}}), PropertyError);
  EXPECT_NO_THROW((void)registry.make("test-throwing-source", "thrower", {{"fail", "none"}}));
}

}  // namespace
}  // namespace sgn
