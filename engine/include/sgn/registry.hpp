#pragma once
/// The registry of element types: one place that the pipeline, the launcher,
/// the inspector and the worker process all build elements from.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include "sgn/element.hpp"
#include "sgn/properties.hpp"

namespace sgn {

/// What a registered element type is.
struct ElementInfo {
  std::string type_name;    ///< e.g. "fir"
  std::string description;  ///< one line
  std::vector<PropertySpec> properties;
};

/// A registered type: its info and how to make one.
struct ElementType {
  ElementInfo info;
  std::function<std::unique_ptr<Element>(const ElementArgs&)> make;
};

class Registry {
 public:
  /// Registers T, which has `static ElementInfo describe()` and a constructor from ElementArgs.
  /// Registering the same name twice with a different type is an error (sgn::Error);
  /// registering the same T again changes nothing.
  template <class T>
  Registry& add() {
    return add(ElementType{T::describe(), [](const ElementArgs& args) -> std::unique_ptr<Element> {
                             return std::make_unique<T>(args);
                           }},
               std::type_index(typeid(T)));
  }
  /// Registers a type made by hand; its name must not be registered yet.
  Registry& add(ElementType type) { return add(std::move(type), std::type_index(typeid(void))); }

  bool contains(std::string_view type_name) const;
  /// Throws ValidationError with a "did you mean" hint for an unknown name.
  const ElementType& at(std::string_view type_name) const;
  std::vector<std::string> names() const;
  /// Parses `properties` and builds an element named `name`. A bad property value is a
  /// PropertyError; anything else the constructor throws becomes an ElementError naming
  /// the element, with the original exception nested.
  std::unique_ptr<Element> make(std::string_view type_name, std::string name,
                                const PropertyMap& properties) const;
  /// The closest registered name to `unknown`, or "" if none is close.
  std::string suggest(std::string_view unknown) const;

 private:
  Registry& add(ElementType type, std::type_index made_of);
  struct Entry {
    ElementType type;
    std::type_index made_of;  // typeid(void) for types made by hand
  };
  std::map<std::string, Entry, std::less<>> types_;
};

}  // namespace sgn
