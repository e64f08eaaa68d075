#include "sgn/properties.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "sgn/error.hpp"

namespace sgn {

std::string_view to_string(PropertyType type) {
  switch (type) {
    case PropertyType::Bool: return "bool";
    case PropertyType::Int: return "int";
    case PropertyType::Double: return "double";
    case PropertyType::String: return "string";
  }
  return "?";
}

const std::vector<std::string>& reserved_property_names() {
  static const std::vector<std::string> names{"name", "placement", "queue_maxsize", "type",
                                              "inputs", "outputs"};
  return names;
}

namespace detail {
std::string format_double(double value) { return fmt::format("{}", value); }
}  // namespace detail

namespace {

[[noreturn]] void fail(std::string_view element, std::string_view type_name, const std::string& what) {
  throw PropertyError(fmt::format("element '{}' ({}): {}", element, type_name, what));
}

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return out = true, true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return out = false, true;
  return false;
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  const char* first = text.data();
  if (*first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

Properties::Value parse_value(std::string_view element, std::string_view type_name,
                              const PropertySpec& spec, std::string_view text) {
  auto bad = [&](std::string_view expected) {
    fail(element, type_name,
         fmt::format("property '{}' expects {}, got '{}'", spec.name, expected, text));
  };
  auto check_range = [&](double value) {
    if ((spec.min && value < *spec.min) || (spec.max && value > *spec.max)) {
      fail(element, type_name,
           fmt::format("property '{}' = {} is out of range [{}, {}]", spec.name, text,
                       spec.min ? detail::format_double(*spec.min) : "-inf",
                       spec.max ? detail::format_double(*spec.max) : "inf"));
    }
  };
  switch (spec.type) {
    case PropertyType::Bool: {
      bool value = false;
      if (!parse_bool(text, value)) bad("a bool (true/false)");
      return value;
    }
    case PropertyType::Int: {
      std::int64_t value = 0;
      if (!parse_number(text, value)) bad("an integer");
      check_range(static_cast<double>(value));
      return value;
    }
    case PropertyType::Double: {
      double value = 0;
      if (!parse_number(text, value) || !std::isfinite(value)) bad("a finite number");
      check_range(value);
      return value;
    }
    case PropertyType::String:
      return std::string(text);
  }
  bad("a known type");
  return {};
}

}  // namespace

Properties Properties::parse(std::string_view element, std::string_view type_name,
                             const std::vector<PropertySpec>& specs, const PropertyMap& given) {
  for (const auto& [name, text] : given) {
    auto it = std::find_if(specs.begin(), specs.end(), [&](const PropertySpec& s) { return s.name == name; });
    if (it == specs.end()) {
      std::string known;
      for (const auto& s : specs) known += (known.empty() ? "" : ", ") + s.name;
      fail(element, type_name,
           fmt::format("unknown property '{}' (value '{}'); known: {}", name, text,
                       known.empty() ? "none" : known));
    }
  }
  Properties out;
  for (const auto& spec : specs) {
    auto it = given.find(spec.name);
    const std::string& text = it != given.end() ? it->second : spec.default_value;
    out.values_.emplace(spec.name, parse_value(element, type_name, spec, text));
  }
  return out;
}

const Properties::Value& Properties::at(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw PropertyError(fmt::format("no property '{}' was declared", name));
  return it->second;
}

PropertyMap Properties::to_strings() const {
  PropertyMap out;
  for (const auto& [name, value] : values_) {
    out.emplace(name, std::visit(
                          [](const auto& v) -> std::string {
                            using V = std::decay_t<decltype(v)>;
                            if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
                            else if constexpr (std::is_same_v<V, std::int64_t>) return std::to_string(v);
                            else if constexpr (std::is_same_v<V, double>) return fmt::format("{}", v);
                            else return v;
                          },
                          value));
  }
  return out;
}

}  // namespace sgn
