#include "schema_fields.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

namespace sgn::detail {
namespace {

/// The struct a field of `type` holds (itself or as list elements), if any.
std::optional<capnp::StructSchema> nested_struct(capnp::Type type, std::string& suffix) {
  if (type.isStruct()) return type.asStruct();
  if (type.isList() && type.asList().getElementType().isStruct()) {
    suffix = "[]";
    return type.asList().getElementType().asStruct();
  }
  return std::nullopt;
}

/// `outer` lists the ids of the structs being expanded, so a recursive type stops.
void add_fields(capnp::StructSchema schema, const std::string& prefix, std::vector<std::uint64_t>& outer,
                std::vector<SchemaField>& out) {
  outer.push_back(schema.getProto().getId());
  for (auto field : schema.getFields()) {
    const auto proto = field.getProto();
    SchemaField f;
    f.name = prefix + proto.getName().cStr();
    f.in_union = proto.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT;
    if (proto.isGroup()) {
      f.type = "group";
      out.push_back(f);
      add_fields(field.getType().asStruct(), f.name + ".", outer, out);
      continue;
    }
    if (proto.getOrdinal().isExplicit()) f.ordinal = proto.getOrdinal().getExplicit();
    f.type = capnp_type_name(field.getType());
    out.push_back(f);
    std::string suffix;
    if (auto inner = nested_struct(field.getType(), suffix);
        inner && std::find(outer.begin(), outer.end(), inner->getProto().getId()) == outer.end()) {
      add_fields(*inner, f.name + suffix + ".", outer, out);
    }
  }
  outer.pop_back();
}

}  // namespace

std::string capnp_type_name(capnp::Type type) {
  using W = capnp::schema::Type;
  switch (type.which()) {
    case W::VOID:
      return "Void";
    case W::BOOL:
      return "Bool";
    case W::INT8:
      return "Int8";
    case W::INT16:
      return "Int16";
    case W::INT32:
      return "Int32";
    case W::INT64:
      return "Int64";
    case W::UINT8:
      return "UInt8";
    case W::UINT16:
      return "UInt16";
    case W::UINT32:
      return "UInt32";
    case W::UINT64:
      return "UInt64";
    case W::FLOAT32:
      return "Float32";
    case W::FLOAT64:
      return "Float64";
    case W::TEXT:
      return "Text";
    case W::DATA:
      return "Data";
    case W::LIST:
      return "List(" + capnp_type_name(type.asList().getElementType()) + ")";
    case W::ENUM:
      return type.asEnum().getShortDisplayName().cStr();
    case W::STRUCT:
      return type.asStruct().getShortDisplayName().cStr();
    case W::INTERFACE:
      return type.asInterface().getShortDisplayName().cStr();
    case W::ANY_POINTER:
      return "AnyPointer";
  }
  return "unknown";
}

std::vector<SchemaField> schema_fields(capnp::StructSchema schema) {
  std::vector<SchemaField> out;
  std::vector<std::uint64_t> outer;
  add_fields(schema, "", outer, out);
  return out;
}

}  // namespace sgn::detail
