#include "common/waker_list.hpp"

namespace sgn::detail {

WakerList::~WakerList() {
  for (Block* block = first_.next.load(std::memory_order_relaxed); block;) {
    Block* next = block->next.load(std::memory_order_relaxed);
    delete block;
    block = next;
  }
}

void WakerList::add(Waker* waker) {
  if (used_in_last_ == kPerBlock) {
    auto* block = new Block;  // written in full before it is linked
    last_->next.store(block, std::memory_order_release);
    last_ = block;
    used_in_last_ = 0;
  }
  last_->slots[used_in_last_++].store(waker, std::memory_order_release);
  count_.fetch_add(1, std::memory_order_release);
}

void WakerList::notify_all() const noexcept {
  for (const Block* block = &first_; block; block = block->next.load(std::memory_order_acquire)) {
    for (const auto& slot : block->slots) {
      Waker* waker = slot.load(std::memory_order_acquire);
      if (!waker) return;  // slots fill in order: nothing registered past this one
      waker->notify();
    }
  }
}

}  // namespace sgn::detail
