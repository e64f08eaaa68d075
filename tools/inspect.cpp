// sgn::inspect_main: the sgn-inspect command line (see launch.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <sgn/error.hpp>
#include <sgn/pipeline.hpp>
#include <sgn/plugin.hpp>
#include <sgn/plugins.hpp>
#include <sgn/registry.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "json_text.hpp"
#include "schema_fields.hpp"
#include "sgn/launch.hpp"

namespace sgn {
namespace {

using detail::json_string;

/// The --json output's layout; a change that removes or renames a field increments it.
constexpr int kInspectJsonFormatVersion = 1;

std::string range_of(const PropertySpec& spec) {
  if (!spec.min && !spec.max) return "";
  const auto bound = [&](const std::optional<double>& b, const char* none) {
    if (!b) return std::string(none);
    return spec.type == PropertyType::Int ? fmt::format("{}", static_cast<long long>(*b)) : fmt::format("{}", *b);
  };
  return fmt::format("[{}, {}]", bound(spec.min, "-inf"), bound(spec.max, "inf"));
}

std::string origin_text(const Registry& registry, const std::string& type) {
  const std::string& origin = registry.origin(type);
  return origin.empty() ? "built in" : "plugin " + origin;
}

/// Pads and placements of a type: declared in its ElementInfo (or by its base class),
/// else asked of a default instance, which some types cannot make.
struct Shape {
  std::optional<std::vector<PadSpec>> inputs, outputs;
  std::vector<Placement> placements;  // empty: unknown
  std::string why_unknown;            // why no default instance could be made
};

Shape shape_of(const Registry& registry, const std::string& type) {
  const ElementInfo& info = registry.at(type).info;
  Shape shape{info.inputs, info.outputs, info.placements, ""};
  if (shape.inputs && shape.outputs && !shape.placements.empty()) return shape;
  try {
    const auto instance = registry.make(type, type + "0", {});
    if (!shape.inputs) shape.inputs = instance->inputs();
    if (!shape.outputs) shape.outputs = instance->outputs();
    if (shape.placements.empty()) shape.placements = instance->placements();
  } catch (const std::exception& e) {
    shape.why_unknown = e.what();
  }
  return shape;
}

/// What sgn-launch places an element in when the description says nothing.
std::string default_placement(const Shape& shape) {
  if (shape.placements.empty() ||
      std::find(shape.placements.begin(), shape.placements.end(), Placement::Main) != shape.placements.end()) {
    return "main";
  }
  return std::string(to_string(shape.placements.front()));
}

std::string placement_list(const std::vector<Placement>& placements, std::string_view separator) {
  std::string out;
  for (auto p : placements) out += (out.empty() ? "" : std::string(separator)) + std::string(to_string(p));
  return out;
}

/// The distinct schemas of the pads, in pad order.
std::vector<SchemaType> pad_schemas(const Shape& shape) {
  std::vector<SchemaType> out;
  for (const auto* pads : {&shape.inputs, &shape.outputs}) {
    if (!*pads) continue;
    for (const auto& p : **pads) {
      if (std::find(out.begin(), out.end(), p.type) == out.end()) out.push_back(p.type);
    }
  }
  return out;
}

void list(const Registry& registry) {
  const auto names = registry.names();
  std::size_t width = 0;
  for (const auto& name : names) width = std::max(width, name.size());
  for (const auto& name : names) {
    const std::string& origin = registry.origin(name);
    fmt::print("{:<{}}  {}{}\n", name, width, registry.at(name).info.description,
               origin.empty() ? "" : fmt::format("  [plugin {}]", origin));
  }
  fmt::print("\n{} element type(s). sgn-inspect NAME describes one.\n", names.size());
}

void describe(const Registry& registry, const std::string& type) {
  const ElementInfo& info = registry.at(type).info;
  const Shape shape = shape_of(registry, type);
  fmt::print("{}: {}\n", info.type_name, info.description);
  fmt::print("Origin: {}\n", origin_text(registry, type));

  fmt::print("\nPads:\n");
  if (!shape.inputs || !shape.outputs) {
    fmt::print("  (unknown: a default instance cannot be made: {})\n", shape.why_unknown);
  } else if (shape.inputs->empty() && shape.outputs->empty()) {
    fmt::print("  (none)\n");
  } else {
    std::size_t width = 0;
    for (const auto& p : *shape.inputs) width = std::max(width, p.name.size());
    for (const auto& p : *shape.outputs) width = std::max(width, p.name.size());
    const std::string chosen =
        info.pad_schema_property.empty()
            ? std::string()
            : fmt::format("  (property '{}' chooses the type; this is its default)", info.pad_schema_property);
    for (const auto& p : *shape.inputs) fmt::print("  {:<{}}  input   {}{}\n", p.name, width, p.type.name, chosen);
    for (const auto& p : *shape.outputs) fmt::print("  {:<{}}  output  {}{}\n", p.name, width, p.type.name, chosen);
  }

  const auto schemas = pad_schemas(shape);
  if (!schemas.empty()) fmt::print("\nSchemas:\n");
  for (const auto& schema : schemas) {
    fmt::print("  {} ({:#x})\n", schema.name, schema.id);
    if (!has_struct_schema(schema)) {
      fmt::print("    (fields unknown)\n");
      continue;
    }
    const auto fields = detail::schema_fields(schema.schema.asStruct());
    std::size_t width = 0;
    for (const auto& f : fields) width = std::max(width, f.name.size());
    for (const auto& f : fields) {
      fmt::print("    {:<{}}  {:<4}  {}{}\n", f.name, width, f.ordinal < 0 ? "" : fmt::format("@{}", f.ordinal), f.type,
                 f.in_union ? "  (union)" : "");
    }
    if (fields.empty()) fmt::print("    (no fields)\n");
  }

  fmt::print("\nProperties:\n");
  std::vector<std::vector<std::string>> rows;
  for (const auto& spec : info.properties) {
    rows.push_back({spec.name, std::string(to_string(spec.type)),
                    spec.type == PropertyType::String ? fmt::format("\"{}\"", spec.default_value) : spec.default_value,
                    range_of(spec), spec.doc});
  }
  rows.push_back({"name", "string", fmt::format("\"{}N\"", info.type_name), "",
                  "element name (sgn-launch: kept by the launcher)"});
  rows.push_back({"placement", "string", fmt::format("\"{}\"", default_placement(shape)),
                  shape.placements.empty() ? "main|thread|process" : placement_list(shape.placements, "|"),
                  "where it runs (sgn-launch: kept by the launcher)"});
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

  fmt::print("\nPlacements: {}\n", shape.placements.empty() ? "(unknown)" : placement_list(shape.placements, ", "));
}

// --json (format in README, "sgn-inspect --json").

std::string json_header() {
  return fmt::format("\"format\": \"sgn-inspect\", \"format_version\": {}, \"sgn_version\": {}",
                     kInspectJsonFormatVersion, json_string(SGN_VERSION_STRING));
}

std::string json_origin(const Registry& registry, const std::string& type) {
  const std::string& origin = registry.origin(type);
  return fmt::format("\"origin\": {}, \"plugin_file\": {}", origin.empty() ? "\"built-in\"" : "\"plugin\"",
                     origin.empty() ? "null" : json_string(origin));
}

std::string json_schema(const SchemaType& schema) {
  std::string fields = "null";
  if (has_struct_schema(schema)) {
    fields.clear();
    for (const auto& f : detail::schema_fields(schema.schema.asStruct())) {
      fields +=
          fmt::format("{}{{\"name\": {}, \"ordinal\": {}, \"type\": {}, \"union\": {}}}", fields.empty() ? "" : ", ",
                      json_string(f.name), f.ordinal < 0 ? "null" : std::to_string(f.ordinal), json_string(f.type),
                      f.in_union ? "true" : "false");
    }
    fields = "[" + fields + "]";
  }
  return fmt::format("{{\"name\": {}, \"id\": \"{:#x}\", \"fields\": {}}}", json_string(schema.name), schema.id,
                     fields);
}

std::string json_list(const Registry& registry) {
  std::string elements;
  for (const auto& name : registry.names()) {
    elements +=
        fmt::format("{}\n    {{\"type\": {}, \"description\": {}, {}}}", elements.empty() ? "" : ",", json_string(name),
                    json_string(registry.at(name).info.description), json_origin(registry, name));
  }
  std::string plugins;
  for (const auto& p : loaded_plugins()) {
    std::string types;
    for (const auto& t : p.types) types += (types.empty() ? "" : ", ") + json_string(t);
    plugins += fmt::format("{}\n    {{\"file\": {}, \"types\": [{}]}}", plugins.empty() ? "" : ",", json_string(p.file),
                           types);
  }
  return fmt::format("{{{},\n  \"plugins\": [{}],\n  \"elements\": [{}]\n}}\n", json_header(), plugins, elements);
}

std::string json_describe(const Registry& registry, const std::string& type) {
  const ElementInfo& info = registry.at(type).info;
  const Shape shape = shape_of(registry, type);
  std::string pads = "null";
  if (shape.inputs && shape.outputs) {
    pads.clear();
    for (const auto& [list, direction] : {std::pair{&*shape.inputs, "input"}, std::pair{&*shape.outputs, "output"}}) {
      for (const auto& p : *list) {
        pads += fmt::format("{}\n      {{\"name\": {}, \"direction\": \"{}\", \"schema\": {}}}",
                            pads.empty() ? "" : ",", json_string(p.name), direction, json_schema(p.type));
      }
    }
    pads = "[" + pads + "]";
  }
  std::string properties;
  const auto bound = [](const std::optional<double>& b) { return b ? fmt::format("{}", *b) : std::string("null"); };
  for (const auto& spec : info.properties) {
    properties += fmt::format(
        "{}\n      {{\"name\": {}, \"type\": \"{}\", \"default\": {}, \"min\": {}, \"max\": {}, \"doc\": {}}}",
        properties.empty() ? "" : ",", json_string(spec.name), to_string(spec.type), json_string(spec.default_value),
        bound(spec.min), bound(spec.max), json_string(spec.doc));
  }
  std::string placements = "null";
  if (!shape.placements.empty()) {
    placements.clear();
    for (auto p : shape.placements) placements += fmt::format("{}\"{}\"", placements.empty() ? "" : ", ", to_string(p));
    placements = "[" + placements + "]";
  }
  return fmt::format(
      "{{{},\n  \"element\": {{\n    \"type\": {}, \"description\": {}, {},\n    \"pads\": {},\n"
      "    \"pads_unknown_reason\": {},\n    \"pad_schema_property\": {},\n    \"properties\": [{}],\n"
      "    \"placements\": {},\n"
      "    \"default_placement\": \"{}\"\n  }}\n}}\n",
      json_header(), json_string(info.type_name), json_string(info.description), json_origin(registry, type), pads,
      pads == "null" ? json_string(shape.why_unknown) : "null",
      info.pad_schema_property.empty() ? std::string("null") : json_string(info.pad_schema_property), properties,
      placements, default_placement(shape));
}

constexpr const char* kUsage =
    "usage: sgn-inspect [--json] [--plugin-path PATHS] [NAME]\n"
    "       sgn-inspect --version\n"
    "  without NAME: every element type with its description and origin (built in or plugin file)\n"
    "  with NAME:    its origin, pads with their schemas' fields, properties and placements\n"
    "  --json              the same as JSON for tools (format_version {})\n"
    "  --plugin-path PATHS load element plugins from PATHS (colon-separated files or directories;\n"
    "                      also $SGN_PLUGIN_PATH and the installed plugin directory)\n"
    "exit codes: 0 ok, 2 unknown element type, a plugin that cannot be loaded, or a usage error\n";

}  // namespace

int inspect_main(int argc, char** argv, const Registry& registry) {
  bool json = false;
  std::optional<std::string> name;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string problem;
    if (arg == "-h" || arg == "--help") {
      fmt::print(kUsage, kInspectJsonFormatVersion);
      return kLaunchOk;
    } else if (arg == "--version") {
      std::string_view program = argv[0] ? argv[0] : "sgn-inspect";
      if (const auto slash = program.rfind('/'); slash != std::string_view::npos) program.remove_prefix(slash + 1);
      fmt::print("{} (sgn) {}\n", program, SGN_VERSION);
      return kLaunchOk;
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--plugin-path" || arg.starts_with("--plugin-path=")) {
      if (arg == "--plugin-path" && ++i >= argc) problem = "--plugin-path needs plugin files or directories";
      if (!load_plugins_called()) problem = "--plugin-path: this program does not load plugins (sgn::load_plugins)";
    } else if (arg.starts_with("-") || name) {
      problem = name && !arg.starts_with("-") ? "one element type at a time" : fmt::format("unknown option '{}'", arg);
    } else {
      name = std::string(arg);
    }
    if (!problem.empty()) {
      fmt::print(stderr, "sgn-inspect: {}\n", problem);
      fmt::print(stderr, kUsage, kInspectJsonFormatVersion);
      return kLaunchUsage;
    }
  }
  if (!name) {
    if (json) {
      fmt::print("{}", json_list(registry));
    } else {
      list(registry);
    }
    return kLaunchOk;
  }
  if (!registry.contains(*name)) {
    const std::string hint = registry.suggest(*name);
    fmt::print(stderr, "no element '{}'{}\n", *name, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint));
    return kLaunchUsage;
  }
  if (json) {
    fmt::print("{}", json_describe(registry, *name));
  } else {
    describe(registry, *name);
  }
  return kLaunchOk;
}

}  // namespace sgn
