#pragma once
/// The Cap'n Proto type a pad carries.

#include <capnp/schema.h>

#include <cstdint>
#include <string>

namespace sgn {

/// A Cap'n Proto struct type: its 64-bit id and display name.
struct SchemaType {
  std::uint64_t id = 0;
  std::string name;
  /// Its reflection (fields, their types and ordinals) when the type came from
  /// schema_type<T>(); a default capnp::Schema otherwise (see has_struct_schema()).
  capnp::Schema schema{};
  friend bool operator==(const SchemaType& a, const SchemaType& b) { return a.id == b.id; }
};

namespace detail {
/// Keeps `type` in a process-wide table so a bare schema id can be named later.
const SchemaType& remember_schema(SchemaType type);
}  // namespace detail

/// The SchemaType of a generated Cap'n Proto struct T.
template <class T>
const SchemaType& schema_type() {
  static const SchemaType& type = detail::remember_schema(
      {capnp::typeId<T>(), capnp::Schema::from<T>().getShortDisplayName().cStr(), capnp::Schema::from<T>()});
  return type;
}

/// True if `type.schema` is the reflection of `type` (a struct).
inline bool has_struct_schema(const SchemaType& type) {
  return type.id != 0 && type.schema.getProto().getId() == type.id && type.schema.getProto().isStruct();
}

/// The name of a schema id whose type this process has used, else the id in hex.
std::string schema_name(std::uint64_t id);

}  // namespace sgn
