#pragma once
// The transports' and allocators' door into Frame and FrameWriter: adopting a
// storage reference, giving one up without dropping it, and starting a writer over
// a fresh loan. Elements cannot reach it; nothing else should need it.

#include <string>
#include <utility>

#include "sgn/frame.hpp"

namespace sgn::detail {

class FrameAccess {
 public:
  /// A frame that takes over one reference of `storage`.
  static Frame adopt(FrameStorage* storage) noexcept { return Frame(storage); }
  /// Gives up `frame`'s reference without dropping it (for queues of storage
  /// pointers); adopt() takes it back. `frame` is empty afterwards.
  static FrameStorage* release(Frame& frame) noexcept { return std::exchange(frame.storage_, nullptr); }
  /// The storage behind `frame` (to publish it without a copy).
  static FrameStorage* storage(const Frame& frame) noexcept { return frame.storage_; }
  /// Only `frame` reads its storage, in this process and elsewhere: it may be written.
  static bool sole_reader(const Frame& frame) noexcept {
    return frame.unique() && !frame.storage_->read_elsewhere();
  }
  /// A writer over freshly loaned `storage` (reference count 1); `what` names the
  /// loaning pad in errors.
  static FrameWriter writer(FrameStorage* storage, std::string what) {
    return FrameWriter(storage, std::move(what));
  }
};

}  // namespace sgn::detail
