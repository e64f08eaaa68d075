#include "detail/heap_frame_pool.hpp"

#include <cstdlib>
#include <new>

namespace sgn::detail {
namespace {
std::size_t round_capacity(std::size_t bytes) {
  const std::size_t granule = bytes >= 4096 ? 4096 : 64;
  return (bytes + granule - 1) / granule * granule;
}
}  // namespace

class HeapFramePool::Storage final : public FrameStorage {
 public:
  explicit Storage(std::size_t capacity)
      : capacity_(capacity), data_(static_cast<std::byte*>(std::calloc(capacity ? capacity : 8, 1))) {
    if (!data_) throw std::bad_alloc();
  }
  ~Storage() override { std::free(data_); }

  FrameHeader& header() noexcept override { return header_; }
  std::byte* payload() noexcept override { return data_; }
  std::size_t capacity() const noexcept override { return capacity_; }
  std::size_t dirty_bytes() const noexcept override { return dirty_; }
  void set_dirty_bytes(std::size_t bytes) noexcept override { dirty_ = bytes; }

  void attach(std::shared_ptr<HeapFramePool> pool) noexcept {
    pool_ = std::move(pool);
    reset_refs();
    header_ = {};
  }
  static void destroy(Storage* storage) noexcept { delete storage; }

 private:
  void recycle() noexcept override {
    if (auto pool = std::move(pool_)) {
      pool->give_back(this);  // `pool` keeps the pool alive until this returns
    } else {
      delete this;
    }
  }

  FrameHeader header_{};
  std::size_t capacity_;
  std::size_t dirty_ = 0;
  std::byte* data_;
  std::shared_ptr<HeapFramePool> pool_;
};

std::shared_ptr<HeapFramePool> HeapFramePool::create(std::size_t max_pooled) {
  return std::shared_ptr<HeapFramePool>(new HeapFramePool(max_pooled));
}

HeapFramePool::~HeapFramePool() {
  for (Storage* storage : idle_) Storage::destroy(storage);
}

FrameWriter HeapFramePool::loan(std::size_t message_bytes, const std::string& what) {
  Storage* storage = nullptr;
  {
    std::lock_guard lock(mutex_);
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      if ((*it)->capacity() >= message_bytes) {
        storage = *it;
        idle_.erase(std::next(it).base());
        break;
      }
    }
  }
  if (!storage) storage = new Storage(round_capacity(message_bytes));
  storage->attach(shared_from_this());
  return FrameWriter(storage, what);
}

void HeapFramePool::give_back(Storage* storage) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_pooled_) {
      try {
        idle_.push_back(storage);
        return;
      } catch (...) {
      }
    }
  }
  Storage::destroy(storage);
}

std::size_t HeapFramePool::pooled() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

FrameWriter loan_heap_frame(std::size_t message_bytes, const std::string& what) {
  static const std::shared_ptr<HeapFramePool> unpooled = HeapFramePool::create(0);
  return unpooled->loan(message_bytes, what);
}

}  // namespace sgn::detail
