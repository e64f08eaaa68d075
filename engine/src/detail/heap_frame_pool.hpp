#pragma once
// Thread-mode frame storage: heap buffers, recycled through a pool so that a
// steady stream allocates nothing and zeroes only the bytes the last frame used.

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "detail/channel.hpp"

namespace sgn::detail {

class HeapFramePool final : public FrameAllocator, public std::enable_shared_from_this<HeapFramePool> {
 public:
  /// Keeps at most `max_pooled` idle buffers.
  static std::shared_ptr<HeapFramePool> create(std::size_t max_pooled);
  FrameWriter loan(std::size_t message_bytes, const std::string& what) override;
  std::size_t pooled() const;

 private:
  class Storage;
  explicit HeapFramePool(std::size_t max_pooled) : max_pooled_(max_pooled) {}
  void give_back(Storage* storage) noexcept;

  const std::size_t max_pooled_;
  mutable std::mutex mutex_;
  std::vector<Storage*> idle_;

 public:
  ~HeapFramePool() override;
};

/// A heap frame not tied to any pool (tests, file reading).
FrameWriter loan_heap_frame(std::size_t message_bytes, const std::string& what);

}  // namespace sgn::detail
