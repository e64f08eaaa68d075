#pragma once
// What the two sertypes of sgn_dds::Frame share (frame_sertype.hpp writes it,
// received_sertype.hpp reads it): the type's name, its keylessness, and a sertype with no
// deserialized samples and no XTypes information (readers and writers match by name).

#include <dds/dds.h>
#include <dds/ddsi/ddsi_serdata.h>

#include <cstdint>
#include <string>

namespace sgn::elements::dds::frame_type {

/// Topic `name` on `participant` of a sertype of sgn_dds::Frame whose samples
/// `serdata_ops` make, in the data representations `allowed`
/// (DDS_DATA_REPRESENTATION_FLAG_*). A negative return is Cyclone's error code.
dds_entity_t create_topic(dds_entity_t participant, const std::string& name, const ddsi_serdata_ops* serdata_ops,
                          std::uint32_t allowed);
/// Such a sertype on its own (one reference; ddsi_sertype_unref() frees it).
ddsi_sertype* new_sertype(const ddsi_serdata_ops* serdata_ops, std::uint32_t allowed);

// Serdata operations of a keyless type, the same for any representation of its samples.
bool eqkey(const ddsi_serdata*, const ddsi_serdata*);
void get_keyhash(const ddsi_serdata*, ddsi_keyhash* buf, bool);
bool untyped_to_sample(const ddsi_sertype*, const ddsi_serdata*, void*, void**, void*);
/// No deserialized samples: both sides take and give serialized bytes.
bool to_sample(const ddsi_serdata*, void*, void**, void*);
/// The untyped key of `sample`'s instance (the one instance), made by `make_key`: a
/// serdata of kind SDK_KEY of `sample`'s type (or null when out of memory).
ddsi_serdata* untyped_key(const ddsi_serdata* sample, ddsi_serdata* (*make_key)(const ddsi_sertype*));

}  // namespace sgn::elements::dds::frame_type
