#include "sgn/registry.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "graph/program_registry.hpp"
#include "sgn/closest_name.hpp"
#include "sgn/error.hpp"

namespace sgn {
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
  types_.emplace(std::move(name), Entry{std::move(type), made_of});
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
  try {
    return type.make(ElementArgs{std::move(name), type.info.type_name, std::move(parsed)});
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
