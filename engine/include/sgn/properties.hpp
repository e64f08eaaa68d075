#pragma once
/// Element properties: declared once (name, type, default, doc, range), parsed
/// from strings, and carried as strings to wherever the element is rebuilt.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sgn {

enum class PropertyType { Bool, Int, Double, String };

/// The name of a PropertyType ("bool", "int", "double", "string").
std::string_view to_string(PropertyType type);

/// One declared property.
struct PropertySpec {
  std::string name;
  PropertyType type = PropertyType::String;
  std::string default_value;  ///< as it would be written in `name=value`
  std::string doc;
  std::optional<double> min;  ///< inclusive bounds, for Int and Double
  std::optional<double> max;
};

/// Declares a property of C++ type T (bool, integral, floating point or std::string).
template <class T>
PropertySpec property(std::string name, T default_value, std::string doc,
                      std::optional<double> min = std::nullopt,
                      std::optional<double> max = std::nullopt);

/// Names the engine keeps for itself; no element may declare them.
const std::vector<std::string>& reserved_property_names();

/// Property values as written by a user: name -> text.
using PropertyMap = std::map<std::string, std::string, std::less<>>;

/// Validated, typed property values of one element.
class Properties {
 public:
  using Value = std::variant<bool, std::int64_t, double, std::string>;

  Properties() = default;
  /// Checks `given` against `specs` and fills defaults. Throws PropertyError naming
  /// the element, the property and the value on an unknown name, a bad type or range.
  static Properties parse(std::string_view element, std::string_view type_name,
                          const std::vector<PropertySpec>& specs, const PropertyMap& given);

  template <class T>
  T get(std::string_view name) const;
  bool contains(std::string_view name) const { return values_.find(name) != values_.end(); }
  /// Every value as text, for rebuilding the element elsewhere (parse() reads it back).
  PropertyMap to_strings() const;

 private:
  const Value& at(std::string_view name) const;
  std::map<std::string, Value, std::less<>> values_;
};

namespace detail {
std::string format_double(double value);
}

template <class T>
PropertySpec property(std::string name, T default_value, std::string doc, std::optional<double> min,
                      std::optional<double> max) {
  PropertySpec spec{std::move(name), PropertyType::String, {}, std::move(doc), min, max};
  if constexpr (std::is_same_v<T, bool>) {
    spec.type = PropertyType::Bool;
    spec.default_value = default_value ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    spec.type = PropertyType::Int;
    spec.default_value = std::to_string(default_value);
  } else if constexpr (std::is_floating_point_v<T>) {
    spec.type = PropertyType::Double;
    spec.default_value = detail::format_double(static_cast<double>(default_value));
  } else {
    spec.type = PropertyType::String;
    spec.default_value = std::string(default_value);
  }
  return spec;
}

template <class T>
T Properties::get(std::string_view name) const {
  const Value& value = at(name);
  if constexpr (std::is_same_v<T, bool>) {
    return std::get<bool>(value);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(std::get<std::int64_t>(value));
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(std::get<double>(value));
  } else {
    return std::get<std::string>(value);
  }
}

}  // namespace sgn
