#pragma once
// A POSIX shared-memory segment, mapped. The creator owns the name: it is
// unlinked when the owner goes, by cleanup_all_shm(), or at exit; a killed
// owner's names are reaped by the next run (roudi/run_record.hpp). Opening never
// creates, and creating never takes over a name that exists.

#include <cstddef>
#include <string>

namespace sgn::detail {

class ShmSegment {
 public:
  ShmSegment() = default;
  /// Creates `name` ("/sgn...") of `bytes`, zero-filled. Throws sgn::Error if it
  /// exists already (someone else's: it is left alone) or /dev/shm has no room.
  static ShmSegment create(const std::string& name, std::size_t bytes);
  /// Maps an existing segment read-only or read-write.
  static ShmSegment open(const std::string& name, bool writable);
  ShmSegment(ShmSegment&& other) noexcept;
  ShmSegment& operator=(ShmSegment&& other) noexcept;
  ~ShmSegment();

  void* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  const std::string& name() const noexcept { return name_; }
  bool owner() const noexcept { return owner_; }

 private:
  void reset() noexcept;
  std::string name_;
  void* data_ = nullptr;
  std::size_t size_ = 0;
  bool owner_ = false;
};

/// Free bytes on the file system behind /dev/shm.
std::size_t shm_free_bytes();

}  // namespace sgn::detail
