#pragma once
// The reading side of a DDS link deserializes nothing on Cyclone's threads: a Cyclone
// sertype of its own for type sgn_dds::Frame whose samples keep the fragments Cyclone
// received (its receive buffers, referenced, not copied) instead of reassembling them into
// a buffer of their own. dds-source then copies the payload once, from those fragments into
// the frame's storage (the one copy from the network). Samples up to kHeldFromBytes are
// copied whole, as Cyclone's own serializer would: holding a receive buffer of up to 64 KiB
// for each small sample would multiply the memory a reader's history takes.
// Writers match it by type name: it carries no XTypes type information.

#include <dds/dds.h>

#include <cstddef>
#include <span>
#include <string>

struct ddsi_serdata;

namespace sgn::elements::dds {

/// Samples from this many bytes (serialized, header included) keep their fragments.
inline constexpr std::size_t kHeldFromBytes = std::size_t{64} << 10;

/// Topic `name` on `participant` with the sertype above, for readers taking samples with
/// dds_takecdr() and reading them with ReceivedBytes.
/// A negative return is Cyclone's error code.
dds_entity_t create_reader_topic(dds_entity_t participant, const std::string& name);

/// The serialized bytes of a sample a reader of that topic took, where they lie: in order,
/// in one piece or several. Valid while the sample is referenced.
class ReceivedBytes {
 public:
  /// Throws std::logic_error for a sample of another sertype.
  explicit ReceivedBytes(const ddsi_serdata* sample);
  std::size_t size() const noexcept;
  /// Copies bytes [offset, offset + n) to `out`; the range must lie within size().
  void copy(std::size_t offset, std::size_t n, std::byte* out) const noexcept;
  /// At least the first min(size(), scratch.size()) bytes in one span: where they lie
  /// when the first piece holds them (it always did with Cyclone's fragment sizes), else
  /// copied into `scratch`. For reading the fields before the payload.
  std::span<const std::byte> prefix(std::span<std::byte> scratch) const noexcept;
  /// Pieces that arrived as they were sent (for tests: 1 when copied whole).
  std::size_t pieces() const noexcept;

 private:
  const void* data_;
};

}  // namespace sgn::elements::dds
