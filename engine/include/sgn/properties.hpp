#pragma once
/// Element properties: declared once (name, type, default, doc, range), parsed
/// from strings, and carried as strings to wherever the element is rebuilt.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
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
  std::optional<double> min;  ///< inclusive bounds, required for Int and Double (see property())
  std::optional<double> max;
};

/// Integral and floating-point property types (not bool): they must be declared with bounds.
template <class T>
concept NumericProperty = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;

/// Largest magnitude of an integer property's bounds (a double holds every integer up to it).
inline constexpr std::int64_t kMaxPropertyInteger = std::int64_t{1} << 53;

/// Declares a bool or std::string property.
template <class T>
  requires(!NumericProperty<T>)
PropertySpec property(std::string name, T default_value, std::string doc);

/// A numeric property without bounds does not compile: give min and max (below).
template <NumericProperty T>
PropertySpec property(std::string name, T default_value, std::string doc) = delete;

/// Declares a numeric property with inclusive bounds, both required: choose them so that no
/// value in range overflows, divides by zero or allocates without limit. Integer bounds lie
/// within ±kMaxPropertyInteger, floating-point ones are finite, and min <= default <= max;
/// otherwise this throws PropertyError. Values are always finite (no NaN, no inf).
template <NumericProperty T>
PropertySpec property(std::string name, T default_value, std::string doc, std::type_identity_t<T> min,
                      std::type_identity_t<T> max);

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
  /// the element, the property and the value on an unknown name, a bad type or range
  /// (numeric messages give the range), or a numeric spec without usable bounds.
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
/// Specs of numeric properties; throw PropertyError on unusable bounds (see property()).
PropertySpec int_property(std::string name, std::int64_t default_value, std::string doc, std::int64_t min,
                          std::int64_t max);
PropertySpec double_property(std::string name, double default_value, std::string doc, double min, double max);
/// `value` as an int64, or the nearest int64 if it lies beyond (then also beyond any valid bound).
template <class T>
constexpr std::int64_t saturated_int64(T value) noexcept {
  if (std::cmp_greater(value, INT64_MAX)) return INT64_MAX;
  if (std::cmp_less(value, INT64_MIN)) return INT64_MIN;
  return static_cast<std::int64_t>(value);
}
}  // namespace detail

template <class T>
  requires(!NumericProperty<T>)
PropertySpec property(std::string name, T default_value, std::string doc) {
  if constexpr (std::is_same_v<T, bool>) {
    return {std::move(name), PropertyType::Bool, default_value ? "true" : "false", std::move(doc), {}, {}};
  } else {
    return {std::move(name), PropertyType::String, std::string(default_value), std::move(doc), {}, {}};
  }
}

template <NumericProperty T>
PropertySpec property(std::string name, T default_value, std::string doc, std::type_identity_t<T> min,
                      std::type_identity_t<T> max) {
  if constexpr (std::is_integral_v<T>) {
    return detail::int_property(std::move(name), detail::saturated_int64(default_value), std::move(doc),
                                detail::saturated_int64(min), detail::saturated_int64(max));
  } else {
    return detail::double_property(std::move(name), static_cast<double>(default_value), std::move(doc),
                                   static_cast<double>(min), static_cast<double>(max));
  }
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
