#include "sgn/registry.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "graph/program_registry.hpp"
#include "sgn/closest_name.hpp"
#include "sgn/error.hpp"

namespace sgn {
namespace {

std::string pad_list(const std::vector<PadSpec>& pads) {
  std::string out;
  for (const auto& p : pads) out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", p.name, p.type.name);
  return out.empty() ? "none" : out;
}

std::string placement_list(const std::vector<Placement>& placements) {
  std::string out;
  for (auto p : placements) out += fmt::format("{}{}", out.empty() ? "" : ", ", to_string(p));
  return out;
}

bool same_pads(const std::vector<PadSpec>& a, const std::vector<PadSpec>& b, bool types_chosen_by_property) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [&](const PadSpec& x, const PadSpec& y) {
    return x.name == y.name && (types_chosen_by_property || x.type == y.type);
  });
}

/// An ElementInfo that declares pads or placements must say what its instances have.
void check_declared_shape(const ElementInfo& info, const Element& element) {
  const auto mismatch = [&](const char* what, const std::string& declared, const std::string& actual) {
    return Error(fmt::format("element type '{}' declares {} {} in its ElementInfo, but its instance '{}' has {}",
                             info.type_name, what, declared, element.name(), actual));
  };
  const bool chosen = !info.pad_schema_property.empty();
  if (info.inputs && !same_pads(*info.inputs, element.inputs(), chosen)) {
    throw mismatch("input pads", pad_list(*info.inputs), pad_list(element.inputs()));
  }
  if (info.outputs && !same_pads(*info.outputs, element.outputs(), chosen)) {
    throw mismatch("output pads", pad_list(*info.outputs), pad_list(element.outputs()));
  }
  if (!info.placements.empty() && info.placements != element.placements()) {
    throw mismatch("placements", placement_list(info.placements), placement_list(element.placements()));
  }
}

std::string describe_origin(const std::string& origin) {
  return origin.empty() ? std::string("the program") : fmt::format("plugin '{}'", origin);
}

}  // namespace

Registry& Registry::add(ElementType type, std::type_index made_of) {
  const auto& reserved = reserved_property_names();
  for (const auto& spec : type.info.properties) {
    if (std::find(reserved.begin(), reserved.end(), spec.name) != reserved.end()) {
      throw PropertyError(fmt::format("element type '{}' declares property '{}', a name the engine reserves",
                                      type.info.type_name, spec.name));
    }
  }
  if (auto it = types_.find(type.info.type_name); it != types_.end()) {
    if (made_of != std::type_index(typeid(void)) && it->second.made_of == made_of) return *this;
    throw Error(fmt::format("element type '{}' is already registered (by another type)", type.info.type_name));
  }
  std::string name = type.info.type_name;
  types_.emplace(std::move(name), Entry{std::move(type), made_of, {}});
  return *this;
}

bool Registry::contains(std::string_view type_name) const { return types_.find(type_name) != types_.end(); }

const ElementType& Registry::at(std::string_view type_name) const {
  auto it = types_.find(type_name);
  if (it == types_.end()) {
    const std::string hint = suggest(type_name);
    throw ValidationError(fmt::format("no element type '{}'{}", type_name,
                                      hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
  }
  return it->second.type;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : types_) out.push_back(name);
  return out;
}

std::unique_ptr<Element> Registry::make(std::string_view type_name, std::string name,
                                        const PropertyMap& properties) const {
  const ElementType& type = at(type_name);
  Properties parsed = Properties::parse(name, type.info.type_name, type.info.properties, properties);
  ErrorSite site{name, std::nullopt, static_cast<long>(::getpid()), {}, std::nullopt};
  std::unique_ptr<Element> element;
  try {
    element = type.make(ElementArgs{std::move(name), type.info.type_name, std::move(parsed)});
  } catch (const PropertyError&) {
    throw;  // a property value the element refused: the user's to fix
  } catch (const std::exception& e) {
    // Anything else (std::invalid_argument, a properties().get<T>() of the wrong type,
    // another sgn::Error) is the element's failure: named, with the original nested.
    std::throw_with_nested(ElementError(
        site, fmt::format("element '{}' ({}): its constructor threw {}: {}", site.element, type.info.type_name,
                          exception_type_name(e), e.what())));
  } catch (...) {
    throw ElementError(site, fmt::format("element '{}' ({}): its constructor threw something that is not a "
                                         "std::exception",
                                         site.element, type.info.type_name));
  }
  check_declared_shape(type.info, *element);
  return element;
}

const std::string& Registry::origin(std::string_view type_name) const {
  at(type_name);  // the error for an unknown name
  return types_.find(type_name)->second.origin;
}

Registry& Registry::merge(Registry&& other, const std::string& origin) {
  for (const auto& [name, entry] : other.types_) {
    if (auto it = types_.find(name); it != types_.end()) {
      throw Error(fmt::format("element type '{}' of {} is already registered ({})", name, describe_origin(origin),
                              it->second.origin.empty() ? "built in" : "by " + describe_origin(it->second.origin)));
    }
  }
  for (auto& [name, entry] : other.types_) {
    entry.origin = origin;
    types_.emplace(name, std::move(entry));
  }
  other.types_.clear();
  return *this;
}

std::string Registry::suggest(std::string_view unknown) const {
  const std::vector<std::string> known = names();
  std::string best = closest_name(unknown, known);
  if (best.empty()) {
    // A fragment of a longer name ("sine" for "sine-source") is a good hint too.
    for (const auto& name : known) {
      if (name.find(unknown) != std::string::npos) return name;
    }
  }
  return best;
}

namespace detail {
namespace {
std::atomic<Registry*> g_program_registry{nullptr};
}  // namespace

Registry* program_registry() noexcept { return g_program_registry.load(); }
void set_program_registry(Registry& registry) noexcept { g_program_registry.store(&registry); }
}  // namespace detail

}  // namespace sgn
