#include "frames/heap_frame_pool.hpp"
#include "frames/frame_access.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace sgn::detail {
namespace {
std::size_t round_capacity(std::size_t bytes) {
  const std::size_t granule = bytes >= 4096 ? 4096 : 64;
  return (bytes + granule - 1) / granule * granule;
}

// Buffers from 1 MiB up are mapped on their own, outside the malloc heap: a new mapping
// is zero without a memset (calloc clears reused heap memory, every page of it), pages a
// frame never writes stay unbacked, and a freed buffer goes back to the system at once.
// 250 frames of 16 MiB, fill=none, into dds-sink, measured when a link still queued 100
// frames whatever their size (~100 buffers): the sender's peak RSS 194-454 MB before,
// 43-60 MB with this.
constexpr std::size_t kMappedFrom = std::size_t{1} << 20;

std::byte* allocate_zeroed(std::size_t capacity) {
  if (capacity < kMappedFrom) return static_cast<std::byte*>(std::calloc(capacity ? capacity : 8, 1));
  void* p = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p);
}

void release_buffer(std::byte* data, std::size_t capacity) noexcept {
  if (capacity < kMappedFrom) {
    std::free(data);
  } else {
    ::munmap(data, capacity);
  }
}
}  // namespace


// Shared by the pool and its buffers: counted once for the pool and once per live
// buffer (not per loan), so loaning and recycling touch no shared counter.
struct HeapFramePool::Core {
  explicit Core(std::size_t max) : max_pooled(max) {}
  const std::size_t max_pooled;
  std::atomic<std::size_t> refs{1};
  std::vector<Storage*> idle;  // the owner's; only loan() and the destructor touch it
  // Push-only stack of recycled buffers, or closed(); on its own cache line, since
  // consumers on other threads write it while the owner reads `idle`.
  alignas(64) std::atomic<Storage*> returned{nullptr};

  static Storage* closed() noexcept { return reinterpret_cast<Storage*>(alignof(Storage*)); }
  void unref() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

// Two cache lines, laid out for a frame that crosses threads. The first holds all a
// consumer touches (count, header, payload pointer), and, while the buffer waits to be
// loaned again, the link of the return stack in place of the dead header; the second is
// written once, when the buffer is made. So a frame's round through another thread moves
// one line of it between the cores, not two.
class alignas(64) HeapFramePool::Storage final : public FrameStorage {
 public:
  /// Below this a buffer's payload follows its two lines in the same allocation, from the
  /// third line on: a consumer on another core asks for the header's line and the
  /// payload's first together (SpscChannel's prefetch) instead of finding the payload
  /// pointer first, and a buffer is one allocation (bench/ANALYSIS.md).
  static constexpr std::size_t kInlineBelow = 64 * 1024;
  static Storage* make(Core& core, std::size_t capacity) {
    const bool in_line = capacity < kInlineBelow;
    void* memory = ::operator new(sizeof(Storage) + (in_line ? capacity : 0), std::align_val_t{alignof(Storage)});
    std::byte* data = in_line ? static_cast<std::byte*>(memory) + sizeof(Storage) : allocate_zeroed(capacity);
    if (!data) {
      ::operator delete(memory, std::align_val_t{alignof(Storage)});
      throw std::bad_alloc();
    }
    if (in_line) std::memset(data, 0, capacity);
    return new (memory) Storage(core, capacity, data, in_line);
  }
  FrameHeader& header() noexcept override { return header_; }
  std::byte* payload() noexcept override { return data_; }
  std::size_t capacity() const noexcept override { return capacity_; }
  std::size_t dirty_bytes() const noexcept override {
    return dirty_words_ == kAllDirty ? capacity_ : std::size_t{dirty_words_} * 8;
  }
  void set_dirty_bytes(std::size_t bytes) noexcept override {
    const std::size_t words = (std::min(bytes, capacity_) + 7) / 8;
    dirty_words_ = words >= kAllDirty ? kAllDirty : static_cast<std::uint32_t>(words);
  }
  // The pool's core outlives the pool while a buffer is out; a buffer returned after it
  // closed frees itself.
  bool outlives_pipeline() const noexcept override { return true; }

  void reuse() noexcept { reset_refs(); }
  // The link in Core::returned, kept where the header was: a buffer waiting there has
  // no frame, and the loan that takes it writes a new header.
  Storage* next() const noexcept {
    Storage* link;
    std::memcpy(&link, &header_, sizeof link);
    return link;
  }
  void set_next(Storage* link) noexcept { std::memcpy(static_cast<void*>(&header_), &link, sizeof link); }

  static void destroy(Storage* storage) noexcept {
    Core& core = storage->core_;
    storage->~Storage();
    ::operator delete(storage, std::align_val_t{alignof(Storage)});
    core.unref();
  }

 private:
  static constexpr std::uint32_t kAllDirty = UINT32_MAX;  // past 32 GiB of words: the whole buffer
  // Only make() builds one: destroy() frees what make() allocated.
  Storage(Core& core, std::size_t capacity, std::byte* data, bool in_line)
      : data_(data), capacity_(capacity), core_(core), inline_(in_line) {
    core_.refs.fetch_add(1, std::memory_order_relaxed);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
    static_assert(offsetof(Storage, data_) + sizeof data_ <= 64, "what a consumer reads fits the first line");
#pragma GCC diagnostic pop
    static_assert(sizeof(Storage) == 128, "an inline payload starts on the third line");
  }

  ~Storage() override {
    if (!inline_) release_buffer(data_, capacity_);
  }

  void recycle() noexcept override {
    if (core_.max_pooled == 0) return destroy(this);
    Storage* head = core_.returned.load(std::memory_order_relaxed);
    do {
      if (head == Core::closed()) return destroy(this);  // the pool is gone
      set_next(head);
    } while (!core_.returned.compare_exchange_weak(head, this, std::memory_order_release, std::memory_order_relaxed));
  }

  // First line (after the base's vtable pointer and count, whose padding holds dirty_words_).
  std::uint32_t dirty_words_ = 0;  // payload words that may be non-zero
  FrameHeader header_{};
  std::byte* data_;
  // Second line: set once.
  std::size_t capacity_;
  Core& core_;
  bool inline_;  // the payload is part of this allocation (make())
};

HeapFramePool::HeapFramePool(std::size_t max_pooled) : core_(new Core(max_pooled)) {}

std::shared_ptr<HeapFramePool> HeapFramePool::create(std::size_t max_pooled) {
  return std::shared_ptr<HeapFramePool>(new HeapFramePool(max_pooled));
}

HeapFramePool::~HeapFramePool() {
  // Buffers still loaned find the stack closed and free themselves.
  Storage* returned = core_->returned.exchange(Core::closed(), std::memory_order_acquire);
  while (returned) {
    Storage* next = returned->next();
    Storage::destroy(returned);
    returned = next;
  }
  for (Storage* storage : core_->idle) Storage::destroy(storage);
  core_->idle.clear();
  core_->unref();
}

FrameWriter HeapFramePool::loan(std::size_t message_bytes, const std::string& what) {
  Core& core = *core_;
  Storage* storage = nullptr;
  if (core.max_pooled > 0) {
    auto take_fitting = [&] {
      for (auto it = core.idle.rbegin(); it != core.idle.rend(); ++it) {
        if ((*it)->capacity() >= message_bytes) {
          storage = *it;
          core.idle.erase(std::next(it).base());
          return true;
        }
      }
      return false;
    };
    if (!take_fitting()) {
      // Take back everything returned since the last time, oldest last.
      Storage* returned = core.returned.exchange(nullptr, std::memory_order_acquire);
      while (returned) {
        Storage* next = returned->next();
        core.idle.push_back(returned);
        returned = next;
      }
      while (core.idle.size() > core.max_pooled) {
        Storage::destroy(core.idle.front());
        core.idle.erase(core.idle.begin());
      }
      take_fitting();
    }
  }
  if (storage) {
    storage->reuse();
  } else {
    storage = Storage::make(core, round_capacity(message_bytes));
  }
  return FrameAccess::writer(storage, what);
}

std::size_t HeapFramePool::pooled() const {
  std::size_t count = core_->idle.size();
  for (Storage* s = core_->returned.load(std::memory_order_acquire); s; s = s->next()) ++count;
  return count;
}

FrameWriter loan_heap_frame(std::size_t message_bytes, const std::string& what) {
  static const std::shared_ptr<HeapFramePool> unpooled = HeapFramePool::create(0);
  return unpooled->loan(message_bytes, what);
}

}  // namespace sgn::detail
