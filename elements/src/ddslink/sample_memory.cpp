#include "ddslink/sample_memory.hpp"

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>
#include <algorithm>

namespace sgn::elements::dds::sample_memory {
namespace {

// Size classes 256 B, 512 B, ... 128 KiB (what a block holds after its header); larger
// samples (dds-sink copies at most 64 KiB of a frame) go to malloc unpooled.
constexpr std::size_t kSmallest = 256;
constexpr std::size_t kClasses = 10;
constexpr std::uint32_t kUnpooled = kClasses;
// Idle bytes a class keeps in its return stack; more are freed. A thread's own list holds
// at most what it last took from there.
constexpr std::size_t kIdleBytesPerClass = std::size_t{8} << 20;

struct alignas(16) Block {
  Block* next;
  std::uint32_t size_class;
};
static_assert(sizeof(Block) == 16);

std::size_t class_bytes(std::uint32_t c) { return kSmallest << c; }
std::size_t class_cap(std::uint32_t c) { return std::max<std::size_t>(64, kIdleBytesPerClass / class_bytes(c)); }

std::uint32_t class_of(std::size_t bytes) {
  if (bytes <= kSmallest) return 0;
  const auto c = static_cast<std::uint32_t>(std::bit_width(bytes - 1) - std::bit_width(kSmallest - 1));
  return c < kClasses ? c : kUnpooled;
}

// Pushed by any thread; taken whole (exchange), so a pop never meets a recycled head.
struct alignas(64) ReturnStack {
  std::atomic<Block*> head{nullptr};
  std::atomic<std::size_t> count{0};  // approximate: reset when taken
};
// Never destroyed: Cyclone's threads may free samples while the process exits.
std::array<ReturnStack, kClasses>& returned() {
  static auto* stacks = new std::array<ReturnStack, kClasses>();
  return *stacks;
}

// What an allocating thread took from the return stacks; freed when the thread ends. A
// thread that allocates after that (in its last destructors) gets malloc's blocks.
thread_local bool list_gone = false;
struct ThreadList {
  std::array<Block*, kClasses> free{};
  ~ThreadList() {
    list_gone = true;
    for (Block* b : free) {
      while (b) std::free(std::exchange(b, b->next));
    }
  }
};
thread_local ThreadList this_thread;

}  // namespace

void* allocate(std::size_t bytes) noexcept {
  const std::uint32_t c = class_of(bytes);
  Block* block = nullptr;
  if (c != kUnpooled && !list_gone) {
    Block*& mine = this_thread.free[c];
    if (!mine) {
      ReturnStack& stack = returned()[c];
      mine = stack.head.exchange(nullptr, std::memory_order_acquire);
      if (mine) stack.count.store(0, std::memory_order_relaxed);
    }
    if (mine) block = std::exchange(mine, mine->next);
  }
  if (!block) {
    block = static_cast<Block*>(std::malloc(sizeof(Block) + (c == kUnpooled ? bytes : class_bytes(c))));
    if (!block) return nullptr;
    block->size_class = c;
  }
  return block + 1;
}

void release(void* memory) noexcept {
  if (!memory) return;
  Block* block = static_cast<Block*>(memory) - 1;
  const std::uint32_t c = block->size_class;
  if (c == kUnpooled) {
    std::free(block);
    return;
  }
  ReturnStack& stack = returned()[c];
  if (stack.count.fetch_add(1, std::memory_order_relaxed) >= class_cap(c)) {
    stack.count.fetch_sub(1, std::memory_order_relaxed);
    std::free(block);
    return;
  }
  block->next = stack.head.load(std::memory_order_relaxed);
  while (!stack.head.compare_exchange_weak(block->next, block, std::memory_order_release,
                                           std::memory_order_relaxed)) {
  }
}

std::size_t returned_blocks() noexcept {
  std::size_t n = 0;
  for (const ReturnStack& stack : returned()) {
    for (const Block* b = stack.head.load(std::memory_order_acquire); b; b = b->next) ++n;
  }
  return n;
}

}  // namespace sgn::elements::dds::sample_memory
