#pragma once
/// The registry of element types: one place that the pipeline, the launcher,
/// the inspector and the worker process all build elements from.

#include <functional>
#include <map>
#include <memory>
#include <optional>
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
  /// Pads and placements known without an instance, so that sgn-inspect can show them
  /// for a type whose properties have no usable defaults. Registry::add<T>() fills the
  /// pads of a Source, Transform or Sink; a WorkerElement (whose constructor chooses
  /// its pads) declares them here. Registry::make() checks every instance against them.
  std::optional<std::vector<PadSpec>> inputs{};
  std::optional<std::vector<PadSpec>> outputs{};
  std::vector<Placement> placements{};  ///< empty: known only from an instance
  /// The property that chooses the schema type of the pads ("schema" for dds-sink and
  /// dds-source), empty when the types are fixed. `inputs`/`outputs` then declare the pads
  /// with the property's default type; make() checks the pad names only.
  std::string pad_schema_property{};
};

namespace detail {
/// The pads of an element class, when its base says them (Source, Transform, Sink).
struct StaticPads {
  std::vector<PadSpec> inputs, outputs;
};
template <class Out>
std::optional<StaticPads> static_pads(const Source<Out>*) {
  return StaticPads{{}, {{"out", schema_type<Out>()}}};
}
template <class In, class Out>
std::optional<StaticPads> static_pads(const Transform<In, Out>*) {
  return StaticPads{{{"in", schema_type<In>()}}, {{"out", schema_type<Out>()}}};
}
template <class In>
std::optional<StaticPads> static_pads(const Sink<In>*) {
  return StaticPads{{{"in", schema_type<In>()}}, {}};
}
inline std::optional<StaticPads> static_pads(const void*) { return std::nullopt; }

/// `info` with the pads T's base class says, where `info` declares none.
template <class T>
ElementInfo with_static_pads(ElementInfo info) {
  if (auto pads = static_pads(static_cast<const T*>(nullptr))) {
    if (!info.inputs) info.inputs = std::move(pads->inputs);
    if (!info.outputs) info.outputs = std::move(pads->outputs);
  }
  return info;
}
}  // namespace detail

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
    return add(ElementType{detail::with_static_pads<T>(T::describe()),
                           [](const ElementArgs& args) -> std::unique_ptr<Element> {
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
  /// the element, with the original exception nested. Throws Error if the instance's
  /// pads or placements differ from those its ElementInfo declares.
  std::unique_ptr<Element> make(std::string_view type_name, std::string name,
                                const PropertyMap& properties) const;
  /// The closest registered name to `unknown`, or "" if none is close.
  std::string suggest(std::string_view unknown) const;

  /// Where a type comes from: "" for a type the program registered itself, else the
  /// file of the plugin that registered it (see merge()).
  const std::string& origin(std::string_view type_name) const;
  /// Moves every type of `other` here, marked as coming from `origin` (a plugin's
  /// file). A name registered here already moves nothing: Error names the type and
  /// both origins.
  Registry& merge(Registry&& other, const std::string& origin);

 private:
  Registry& add(ElementType type, std::type_index made_of);
  struct Entry {
    ElementType type;
    std::type_index made_of;  // typeid(void) for types made by hand
    std::string origin;       // "" or the plugin file
  };
  std::map<std::string, Entry, std::less<>> types_;
};

}  // namespace sgn
