#pragma once
// A Cap'n Proto MessageBuilder over one frame's payload: it hands out that space
// as the single segment, once, and fails loudly if the message outgrows it
// (MallocMessageBuilder would silently fall back to the heap).

#include <capnp/message.h>

#include <cstddef>
#include <string>

namespace sgn::detail {

class SegmentBuilder final : public capnp::MessageBuilder {
 public:
  /// `space` must be 8-byte aligned and zeroed; `what` names the pad in errors.
  SegmentBuilder(std::byte* space, std::size_t bytes, std::string what);
  kj::ArrayPtr<capnp::word> allocateSegment(capnp::uint minimumSize) override;
  /// Bytes of the segment the message uses so far.
  std::size_t used_bytes();

 private:
  capnp::word* space_;
  std::size_t words_;
  bool handed_out_ = false;
  std::string what_;
};

}  // namespace sgn::detail
