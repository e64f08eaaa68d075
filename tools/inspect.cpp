// sgn::inspect_main: the sgn-inspect command line (see launch.hpp).

#include <fmt/format.h>
#include <sgn/error.hpp>
#include <sgn/pipeline.hpp>
#include <sgn/registry.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sgn/launch.hpp"

namespace sgn {
namespace {

std::string range_of(const PropertySpec& spec) {
  if (!spec.min && !spec.max) return "";
  const auto bound = [&](const std::optional<double>& b, const char* none) {
    if (!b) return std::string(none);
    return spec.type == PropertyType::Int ? fmt::format("{}", static_cast<long long>(*b)) : fmt::format("{}", *b);
  };
  return fmt::format("[{}, {}]", bound(spec.min, "-inf"), bound(spec.max, "inf"));
}

void list(const Registry& registry) {
  const auto names = registry.names();
  std::size_t width = 0;
  for (const auto& name : names) width = std::max(width, name.size());
  for (const auto& name : names) fmt::print("{:<{}}  {}\n", name, width, registry.at(name).info.description);
  fmt::print("\n{} element type(s). sgn-inspect NAME describes one.\n", names.size());
}

void describe(const Registry& registry, const std::string& type) {
  const ElementInfo& info = registry.at(type).info;
  fmt::print("{}: {}\n", info.type_name, info.description);

  std::unique_ptr<Element> instance;
  std::string why;
  try {
    instance = registry.make(type, type + "0", {});
  } catch (const std::exception& e) {
    why = e.what();
  }

  fmt::print("\nPads:\n");
  if (!instance) {
    fmt::print("  (unknown: a default instance cannot be made: {})\n", why);
  } else if (instance->inputs().empty() && instance->outputs().empty()) {
    fmt::print("  (none)\n");
  } else {
    std::size_t width = 0;
    for (const auto& p : instance->inputs()) width = std::max(width, p.name.size());
    for (const auto& p : instance->outputs()) width = std::max(width, p.name.size());
    for (const auto& p : instance->inputs()) fmt::print("  {:<{}}  input   {}\n", p.name, width, p.type.name);
    for (const auto& p : instance->outputs()) fmt::print("  {:<{}}  output  {}\n", p.name, width, p.type.name);
  }

  fmt::print("\nProperties:\n");
  std::vector<std::vector<std::string>> rows;
  for (const auto& spec : info.properties) {
    rows.push_back({spec.name, std::string(to_string(spec.type)),
                    spec.type == PropertyType::String ? fmt::format("\"{}\"", spec.default_value) : spec.default_value,
                    range_of(spec), spec.doc});
  }
  rows.push_back({"name", "string", fmt::format("\"{}N\"", info.type_name), "", "element name (sgn-launch: kept by the launcher)"});
  rows.push_back({"placement", "string", "\"main\"", "main|thread|process", "where it runs (sgn-launch: kept by the launcher)"});
  rows.push_back({std::string(kSpinProperty), "int", "0", fmt::format("[0, {}]", kSpinLimit.count()),
                  "low-latency mode: busy-poll up to this many us before sleeping (the engine's)"});
  std::vector<std::size_t> width{4, 4, 7, 5};  // the headers
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < 4; ++c) width[c] = std::max(width[c], row[c].size());
  }
  fmt::print("  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", "name", width[0], "type", width[1], "default", width[2], "range",
             width[3], "doc");
  for (const auto& row : rows) {
    fmt::print("  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", row[0], width[0], row[1], width[1], row[2], width[2], row[3],
               width[3], row[4]);
  }

  fmt::print("\nPlacements: ");
  if (!instance) {
    fmt::print("(unknown)\n");
  } else {
    std::string names;
    for (auto p : instance->placements()) names += (names.empty() ? "" : ", ") + std::string(to_string(p));
    fmt::print("{}\n", names);
  }
}

}  // namespace

int inspect_main(int argc, char** argv, const Registry& registry) {
  const std::string_view first = argc > 1 ? argv[1] : "";
  if (argc > 2 || first == "-h" || first == "--help") {
    fmt::print(argc > 2 ? stderr : stdout,
               "usage: sgn-inspect [NAME]\n  without NAME: every element type with its description\n"
               "  with NAME:    its pads and schema types, properties and placements\n"
               "exit codes: 0 ok, 2 unknown element type or usage error\n");
    return argc > 2 ? kLaunchUsage : kLaunchOk;
  }
  if (argc < 2) {
    list(registry);
    return kLaunchOk;
  }
  const std::string name(first);
  if (!registry.contains(name)) {
    const std::string hint = registry.suggest(name);
    fmt::print(stderr, "no element '{}'{}\n", name, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint));
    return kLaunchUsage;
  }
  describe(registry, name);
  return kLaunchOk;
}

}  // namespace sgn
