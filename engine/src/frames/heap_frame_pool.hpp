#pragma once
// Thread-mode frame storage: heap buffers, recycled through a pool so that a
// steady stream allocates nothing and zeroes only the bytes the last frame used.
// Lock-free: the pad that owns the pool loans from a list only its thread
// touches; whichever thread drops a frame's last handle pushes the buffer onto
// a return stack, which the owner takes whole when its own list runs dry.

#include <cstddef>
#include <memory>
#include <string>

#include "frames/frame_channel.hpp"

namespace sgn::detail {

class HeapFramePool final : public FrameAllocator {
 public:
  /// Keeps at most `max_pooled` idle buffers, trimmed when the owner takes returned ones back
  /// (0: every buffer is freed when its frame goes).
  static std::shared_ptr<HeapFramePool> create(std::size_t max_pooled);
  ~HeapFramePool() override;
  HeapFramePool(const HeapFramePool&) = delete;
  HeapFramePool& operator=(const HeapFramePool&) = delete;

  /// Call from one thread at a time (the owning pad's), unless `max_pooled` is 0.
  FrameWriter loan(std::size_t message_bytes, const std::string& what) override;
  /// Idle buffers, including returned ones not yet taken back (for tests and diagnostics).
  std::size_t pooled() const;

 private:
  struct Core;
  class Storage;
  explicit HeapFramePool(std::size_t max_pooled);
  Core* core_;  // outlives the pool while any of its buffers is loaned
};

/// A heap frame not tied to any pool (tests, file reading).
FrameWriter loan_heap_frame(std::size_t message_bytes, const std::string& what);

}  // namespace sgn::detail
