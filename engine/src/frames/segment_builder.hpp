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
  /// `space` must be 8-byte aligned and zeroed; `*what` names the pad in errors and
  /// must outlive the builder (rename() follows it when its owner moves).
  SegmentBuilder(std::byte* space, std::size_t bytes, const std::string* what);
  kj::ArrayPtr<capnp::word> allocateSegment(capnp::uint minimumSize) override;
  /// Bytes of the segment the message uses so far.
  std::size_t used_bytes();
  void rename(const std::string* what) noexcept { what_ = what; }

  // One per frame built: recycled per thread instead of going through malloc.
  static void* operator new(std::size_t bytes);
  static void operator delete(void* block) noexcept;

 private:
  capnp::word* space_;
  std::size_t words_;
  bool handed_out_ = false;
  const std::string* what_;
};

/// A Cap'n Proto MessageBuilder over a finished message, to modify it in place
/// (a transform's in-place hook). The message cannot grow: an allocation fails
/// loudly, naming the pad.
class InPlaceBuilder final : public capnp::MessageBuilder {
 public:
  /// `segment`: the message's one segment, `bytes` long (whole words), built in place by this program.
  InPlaceBuilder(std::byte* segment, std::size_t bytes, const std::string* what);
  kj::ArrayPtr<capnp::word> allocateSegment(capnp::uint minimumSize) override;

 private:
  const std::string* what_;
};

}  // namespace sgn::detail
