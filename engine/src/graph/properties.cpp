#include "sgn/properties.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ranges>

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
                                              "inputs", "outputs", "spin_us"};
  return names;
}

namespace detail {
std::string format_double(double value) { return fmt::format("{}", value); }
}  // namespace detail

namespace {

std::string bound_text(const PropertySpec& spec, double bound) {
  if (spec.type == PropertyType::Int) return std::to_string(static_cast<std::int64_t>(bound));
  return detail::format_double(bound);
}

/// What is wrong with a declaration's bounds, or "" (numbers need finite bounds,
/// integers exact ones, so that range checks compare exactly and nothing overflows).
std::string bounds_problem(const PropertySpec& spec) {
  const bool numeric = spec.type == PropertyType::Int || spec.type == PropertyType::Double;
  if (!numeric) return spec.min || spec.max ? fmt::format("a {} property takes no bounds", to_string(spec.type)) : "";
  if (!spec.min || !spec.max) return "a numeric property needs both bounds (min and max)";
  for (const double bound : {*spec.min, *spec.max}) {
    if (!std::isfinite(bound)) return fmt::format("bound {} is not finite", bound);
    if (spec.type == PropertyType::Int &&
        (std::trunc(bound) != bound || std::fabs(bound) > static_cast<double>(kMaxPropertyInteger))) {
      return fmt::format("bound {} is not an integer of magnitude at most {}", detail::format_double(bound),
                         kMaxPropertyInteger);
    }
  }
  if (*spec.min > *spec.max) {
    return fmt::format("min {} exceeds max {}", bound_text(spec, *spec.min), bound_text(spec, *spec.max));
  }
  return "";
}

std::string declaration_problem(const PropertySpec& spec, bool default_in_range = true) {
  std::string problem = bounds_problem(spec);
  if (problem.empty() && !default_in_range) {
    problem = fmt::format("default {} is outside [{}, {}]", spec.default_value, bound_text(spec, *spec.min),
                          bound_text(spec, *spec.max));
  }
  return problem.empty() ? "" : fmt::format("property '{}' is declared wrongly: {}", spec.name, problem);
}

PropertySpec declared(PropertySpec spec, bool default_in_range) {
  if (const std::string problem = declaration_problem(spec, default_in_range); !problem.empty()) {
    throw PropertyError(problem);
  }
  return spec;
}

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
  // Numeric specs have exact bounds (parse() checked them first).
  const auto range = [&] { return fmt::format("[{}, {}]", bound_text(spec, *spec.min), bound_text(spec, *spec.max)); };
  auto number = [&](auto value, const char* kind) {
    if (!parse_number(text, value) || !std::isfinite(static_cast<double>(value))) {
      bad(fmt::format("{} in {}", kind, range()));
    }
    using T = decltype(value);
    if (value < static_cast<T>(*spec.min) || value > static_cast<T>(*spec.max)) {
      fail(element, type_name, fmt::format("property '{}' = {} is out of range {}", spec.name, text, range()));
    }
    return value;
  };
  switch (spec.type) {
    case PropertyType::Bool: {
      bool value = false;
      if (!parse_bool(text, value)) bad("a bool (true/false)");
      return value;
    }
    case PropertyType::Int:
      return number(std::int64_t{0}, "an integer");
    case PropertyType::Double:
      return number(0.0, "a finite number");
    case PropertyType::String:
      return std::string(text);
  }
  bad("a known type");
  return {};
}

}  // namespace

namespace detail {
PropertySpec int_property(std::string name, std::int64_t default_value, std::string doc, std::int64_t min,
                          std::int64_t max) {
  return declared({std::move(name), PropertyType::Int, std::to_string(default_value), std::move(doc),
                   static_cast<double>(min), static_cast<double>(max)},
                  min <= default_value && default_value <= max);
}

PropertySpec double_property(std::string name, double default_value, std::string doc, double min, double max) {
  return declared({std::move(name), PropertyType::Double, format_double(default_value), std::move(doc), min, max},
                  std::isfinite(default_value) && min <= default_value && default_value <= max);
}
}  // namespace detail

Properties Properties::parse(std::string_view element, std::string_view type_name,
                             const std::vector<PropertySpec>& specs, const PropertyMap& given) {
  for (const auto& [name, text] : given) {
    auto it = std::find_if(specs.begin(), specs.end(), [&](const PropertySpec& s) { return s.name == name; });
    if (it == specs.end()) {
      fail(element, type_name,
           specs.empty() ? fmt::format("unknown property '{}' (value '{}'); known: none", name, text)
                         : fmt::format("unknown property '{}' (value '{}'); known: {}", name, text,
                                       fmt::join(specs | std::views::transform(&PropertySpec::name), ", ")));
    }
  }
  for (const auto& spec : specs) {
    if (const std::string problem = declaration_problem(spec); !problem.empty()) fail(element, type_name, problem);
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
