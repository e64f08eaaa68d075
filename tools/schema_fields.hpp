#pragma once
// The fields of a Cap'n Proto struct, from its reflection (capnp::StructSchema), as
// sgn-inspect shows them.

#include <capnp/schema.h>

#include <string>
#include <vector>

namespace sgn::detail {

struct SchemaField {
  std::string name;       ///< "a"; "g.a" inside group or struct g; "l[].a" in a list l of structs
  int ordinal = -1;       ///< the @N of the field; -1 for a group (it has none)
  std::string type;       ///< "Float32", "List(Float32)", "Samples", "group"
  bool in_union = false;  ///< one of a union's members (at most one is set)
};

/// Cap'n Proto's name of `type`: Bool, Int32, Text, List(Float32), a struct's or enum's name.
std::string capnp_type_name(capnp::Type type);

/// Every field of `schema` in code order; the fields of a group, a struct or a list of
/// structs follow it (a struct already being expanded is not expanded again).
std::vector<SchemaField> schema_fields(capnp::StructSchema schema);

}  // namespace sgn::detail
