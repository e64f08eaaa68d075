#pragma once
/// "bytes-source": Bytes frames of a fixed size, for benchmarks.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/bytes.capnp.h>

#include <cstdint>

namespace sgn::elements {

/// Emits `frames` Bytes frames of `size` bytes. `fill` chooses the per-frame cost:
/// "none" leaves the (zeroed) payload untouched, "index" writes the frame index into
/// the first 8 bytes (little-endian), "pattern" sets byte i to (index + i) mod 256.
class BytesSource final : public Source<schema::Bytes> {
 public:
  enum class Fill { None, Index, Pattern };

  static ElementInfo describe();
  explicit BytesSource(const ElementArgs& args);

  std::size_t max_output_bytes() const override { return size_ + 64; }
  bool overwrites_output() const override { return fill_ == Fill::Pattern; }
  /// fill=none: the data stays as allocated (zeros), so no frame pays a memset of it.
  bool leaves_lists_zero() const override { return fill_ == Fill::None; }
  Flow produce(schema::Bytes::Builder out, Context& ctx) override;

 private:
  std::size_t size_;
  std::uint64_t frames_;  // 0: unbounded
  Fill fill_;
  std::uint64_t produced_ = 0;
};

}  // namespace sgn::elements
