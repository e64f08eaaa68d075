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
}

std::size_t WakerList::size() const noexcept {
  std::size_t n = 0;
  for (const Block* block = &first_; block; block = block->next.load(std::memory_order_acquire)) {
    for (const auto& slot : block->slots) {
      if (!slot.load(std::memory_order_acquire)) return n;
      ++n;
    }
  }
  return n;
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
