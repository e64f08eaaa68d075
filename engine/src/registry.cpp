#include "sgn/registry.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sgn/error.hpp"

namespace sgn {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
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
  return type.make(ElementArgs{std::move(name), type.info.type_name, std::move(parsed)});
}

std::string Registry::suggest(std::string_view unknown) const {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, unknown.size() / 3) + 1;
  for (const auto& [name, entry] : types_) {
    const std::size_t d = edit_distance(unknown, name);
    if (d < best_distance || (name.find(unknown) != std::string::npos && best.empty())) {
      best_distance = std::min(d, best_distance);
      best = name;
    }
  }
  return best;
}

Registry& Registry::global() {
  static Registry registry;
  return registry;
}

}  // namespace sgn
