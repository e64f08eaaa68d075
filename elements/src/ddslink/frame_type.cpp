#include "ddslink/frame_type.hpp"

#include <dds/ddsi/ddsi_sertype.h>

#include <cstring>

namespace sgn::elements::dds::frame_type {
namespace {

constexpr const char* kTypeName = "sgn_dds::Frame";  // sgn_frame.idl's, as idlc names it

void sertype_free(ddsi_sertype* type) {
  ddsi_sertype_fini(type);
  delete type;
}
void zero_samples(const ddsi_sertype*, void*, size_t) {}
void realloc_samples(void** ptrs, const ddsi_sertype*, void*, size_t, size_t count) {
  for (size_t i = 0; i < count; ++i) ptrs[i] = nullptr;
}
void free_samples(const ddsi_sertype*, void**, size_t, dds_free_op_t) {}
bool equal(const ddsi_sertype*, const ddsi_sertype*) { return true; }  // same ops and name: the same type
uint32_t hash(const ddsi_sertype*) { return 0; }

const ddsi_sertype_ops kSertypeOps = {
    .version = ddsi_sertype_v0,
    .arg = nullptr,
    .free = sertype_free,
    .zero_samples = zero_samples,
    .realloc_samples = realloc_samples,
    .free_samples = free_samples,
    .equal = equal,
    .hash = hash,
    .type_id = nullptr,
    .type_map = nullptr,
    .type_info = nullptr,
    .derive_sertype = nullptr,
    .get_serialized_size = nullptr,
    .serialize_into = nullptr,
};

}  // namespace

ddsi_sertype* new_sertype(const ddsi_serdata_ops* serdata_ops, std::uint32_t allowed) {
  auto* type = new ddsi_sertype{};
  ddsi_sertype_init(type, kTypeName, &kSertypeOps, serdata_ops, true);
  type->allowed_data_representation = allowed;
  return type;
}

dds_entity_t create_topic(dds_entity_t participant, const std::string& name, const ddsi_serdata_ops* serdata_ops,
                          std::uint32_t allowed) {
  ddsi_sertype* type = new_sertype(serdata_ops, allowed);
  const dds_entity_t topic = dds_create_topic_sertype(participant, name.c_str(), &type, nullptr, nullptr, nullptr);
  if (topic < 0) ddsi_sertype_unref(type);
  return topic;
}

bool eqkey(const ddsi_serdata*, const ddsi_serdata*) { return true; }  // keyless: one instance

void get_keyhash(const ddsi_serdata*, ddsi_keyhash* buf, bool) { std::memset(buf->value, 0, sizeof buf->value); }

bool untyped_to_sample(const ddsi_sertype*, const ddsi_serdata*, void*, void**, void*) { return true; }

bool to_sample(const ddsi_serdata*, void*, void**, void*) { return false; }

// The instance map keeps an untyped key of the one instance.
ddsi_serdata* untyped_key(const ddsi_serdata* sample, ddsi_serdata* (*make_key)(const ddsi_sertype*)) {
  ddsi_serdata* key = make_key(sample->type);
  if (!key) return nullptr;
  key->type = nullptr;
  key->hash = sample->hash;
  key->timestamp.v = INT64_MIN;
  return key;
}

}  // namespace sgn::elements::dds::frame_type
