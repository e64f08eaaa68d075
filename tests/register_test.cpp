#include <gtest/gtest.h>
#include <sgn/elements/register.hpp>
#include <sgn/schemas/bytes.capnp.h>
#include <sgn/schemas/samples.capnp.h>

#include <algorithm>

namespace sgn {
namespace {

TEST(RegisterAll, RegistersEveryElementWithItsPads) {
  Registry registry;
  elements::register_all(registry);
  const SchemaType& samples = schema_type<schema::Samples>();
  const SchemaType& bytes = schema_type<schema::Bytes>();
  struct Expected {
    const char* type;
    std::optional<SchemaType> in, out;
  };
  const std::vector<Expected> expected{
      {"sine-source", {}, samples}, {"bytes-source", {}, bytes},  {"file-source", {}, samples},
      {"scale", samples, samples},  {"fir", samples, samples},    {"passthrough", bytes, bytes},
      {"null-sink", bytes, {}},     {"stats-sink", samples, {}},  {"file-sink", samples, {}},
      {"dds-sink", samples, {}},    {"dds-source", {}, samples},
  };
  EXPECT_EQ(registry.names().size(), expected.size());
  for (const auto& e : expected) {
    SCOPED_TRACE(e.type);
    ASSERT_TRUE(registry.contains(e.type));
    const ElementInfo& info = registry.at(e.type).info;
    EXPECT_EQ(info.type_name, e.type);
    EXPECT_FALSE(info.description.empty());
    for (const auto& spec : info.properties) EXPECT_FALSE(spec.doc.empty()) << spec.name;
    PropertyMap properties;
    if (std::string(e.type).find("file") == 0) properties["location"] = "/dev/null";
    if (std::string(e.type).find("dds") == 0) properties["topic"] = "t";
    auto element = registry.make(e.type, "x", properties);
    ASSERT_EQ(element->inputs().size(), e.in ? 1u : 0u);
    ASSERT_EQ(element->outputs().size(), e.out ? 1u : 0u);
    if (e.in) {
      EXPECT_EQ(element->inputs()[0].type, *e.in);
    }
    if (e.out) {
      EXPECT_EQ(element->outputs()[0].type, *e.out);
    }
  }
}

TEST(RegisterAll, IntoTheSameRegistryTwiceIsHarmless) {
  Registry registry;
  elements::register_all(registry);
  elements::register_all(registry);
  EXPECT_TRUE(registry.contains("fir"));
}

}  // namespace
}  // namespace sgn
