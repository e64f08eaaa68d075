#include "common/shm_segment.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>

#include "common/posix_error.hpp"
#include "sgn/error.hpp"
#include "sgn/shared_memory.hpp"

namespace sgn {
namespace detail {
namespace {

// Names this process created and must unlink (cleanup_all_shm is async-signal-safe:
// a fixed array, walked without locks or allocation). A process killed before it
// unlinks them leaves them to the next run, which removes a dead run's segments
// (their names carry its token: run_record.hpp).
constexpr std::size_t kMaxTracked = 256;
constexpr std::size_t kMaxName = 128;
char g_tracked[kMaxTracked][kMaxName];
std::mutex g_tracked_mutex;

void track(const std::string& name) {
  static const bool registered = [] {
    std::atexit([] { cleanup_all_shm(); });
    return true;
  }();
  (void)registered;
  std::lock_guard lock(g_tracked_mutex);
  for (auto& slot : g_tracked) {
    if (slot[0] == '\0') {
      std::strncpy(slot, name.c_str(), kMaxName - 1);
      return;
    }
  }
  throw Error(fmt::format("too many shared-memory segments at once (limit {}) creating '{}'", kMaxTracked, name));
}

void untrack(const std::string& name) noexcept {
  std::lock_guard lock(g_tracked_mutex);
  for (auto& slot : g_tracked) {
    if (name == slot) slot[0] = '\0';
  }
}

}  // namespace

ShmSegment ShmSegment::create(const std::string& name, std::size_t bytes) {
  if (name.size() >= kMaxName) throw Error(fmt::format("shared-memory name '{}' is too long", name));
  if (bytes > shm_free_bytes()) {
    throw Error(fmt::format("shared memory: /dev/shm has {} bytes free, segment '{}' needs {}", shm_free_bytes(),
                            name, bytes));
  }
  const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      throw Error(fmt::format("shared-memory segment '{}' already exists; it belongs to someone else and is "
                              "left as it is",
                              name));
    }
    throw posix_error("shm_open", name, errno);
  }
  ShmSegment segment;
  segment.name_ = name;
  segment.owner_ = true;
  track(name);
  segment.size_ = bytes;
  if (bytes == 0) {
    ::close(fd);
    return segment;
  }
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(fmt::format("sizing shared-memory segment '{}' to {} bytes: {}", name, bytes, std::strerror(err)));
  }
  void* data = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (data == MAP_FAILED) {
    throw posix_error("mmap", name, errno);
  }
  segment.data_ = data;
  return segment;
}

ShmSegment ShmSegment::open(const std::string& name, bool writable) {
  const int fd = ::shm_open(name.c_str(), writable ? O_RDWR : O_RDONLY, 0);
  if (fd < 0) throw posix_error("shm_open", name, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(fmt::format("stat of shared-memory segment '{}': {}", name, std::strerror(err)));
  }
  ShmSegment segment;
  segment.name_ = name;
  segment.size_ = static_cast<std::size_t>(st.st_size);
  void* data = segment.size_ == 0 ? nullptr
                                  : ::mmap(nullptr, segment.size_, writable ? PROT_READ | PROT_WRITE : PROT_READ,
                                           MAP_SHARED, fd, 0);
  ::close(fd);
  if (data == MAP_FAILED) throw posix_error("mmap", name, errno);
  segment.data_ = data;
  return segment;
}

ShmSegment::ShmSegment(ShmSegment&& other) noexcept
    : name_(std::move(other.name_)), data_(other.data_), size_(other.size_), owner_(other.owner_) {
  other.data_ = nullptr;
  other.size_ = 0;
  other.owner_ = false;
  other.name_.clear();
}

ShmSegment& ShmSegment::operator=(ShmSegment&& other) noexcept {
  if (this != &other) {
    reset();
    name_ = std::move(other.name_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    owner_ = std::exchange(other.owner_, false);
    other.name_.clear();
  }
  return *this;
}

ShmSegment::~ShmSegment() { reset(); }

void ShmSegment::reset() noexcept {
  if (data_) ::munmap(data_, size_);
  data_ = nullptr;
  if (owner_) {
    ::shm_unlink(name_.c_str());
    untrack(name_);
  }
  owner_ = false;
}

std::size_t shm_free_bytes() {
  struct statvfs info {};
  if (::statvfs("/dev/shm", &info) != 0) return 0;
  return static_cast<std::size_t>(info.f_bavail) * info.f_frsize;
}

}  // namespace detail

void cleanup_all_shm() noexcept {
  // Async-signal-safe: no locks, no allocation (a racing create may be missed).
  for (auto& slot : detail::g_tracked) {
    if (slot[0] != '\0') {
      ::shm_unlink(slot);
      slot[0] = '\0';
    }
  }
}

}  // namespace sgn
