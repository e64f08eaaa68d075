#pragma once
// Not for element authors: the storage behind a frame and its reference count.
// sgn::Frame's inline copy and destruction need it; only the engine's allocators
// and transports make, adopt or give up storage (through detail::FrameAccess).

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sgn {

struct FrameHeader;

/// Memory behind one frame: heap buffer, pooled buffer or shared-memory chunk.
/// Reference counted; `recycle()` runs when the last Frame handle goes.
class FrameStorage {
 public:
  FrameStorage() = default;
  FrameStorage(const FrameStorage&) = delete;
  FrameStorage& operator=(const FrameStorage&) = delete;

  virtual FrameHeader& header() noexcept = 0;
  /// 8-byte aligned payload area, `capacity()` bytes.
  virtual std::byte* payload() noexcept = 0;
  virtual std::size_t capacity() const noexcept = 0;
  /// Bytes at the start of payload() that may be non-zero (Cap'n Proto needs zeroed space).
  virtual std::size_t dirty_bytes() const noexcept = 0;
  virtual void set_dirty_bytes(std::size_t bytes) noexcept = 0;
  /// Readers outside this process may hold this storage too (a shared-memory chunk
  /// published to several consumers): then nobody may write it, even with the only
  /// handle of this process.
  virtual bool read_elsewhere() const noexcept { return false; }
  /// Whether a handle may be dropped on any thread at any later time, after the pipeline's
  /// run too (heap memory): what a library that holds frames on its own threads needs.
  virtual bool outlives_pipeline() const noexcept { return false; }

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  /// Handles sharing this storage (a hint when other threads hold handles too).
  std::uint32_t ref_count() const noexcept { return refs_.load(std::memory_order_acquire); }
  void release() noexcept {
    if (refs_.load(std::memory_order_acquire) == 1 || refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) recycle();
  }

 protected:
  virtual ~FrameStorage() = default;
  /// Called once the last reference is gone: free, or return to a pool.
  virtual void recycle() noexcept = 0;
  void reset_refs() noexcept { refs_.store(1, std::memory_order_relaxed); }

 private:
  std::atomic<std::uint32_t> refs_{1};
};

}  // namespace sgn
