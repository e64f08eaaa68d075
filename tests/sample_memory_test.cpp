// The DDS link's sample memory (elements/src/ddslink/sample_memory.hpp): blocks freed on
// another thread serve the allocating thread again, and idle blocks are bounded.

#include "ddslink/sample_memory.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace {

namespace memory = sgn::elements::dds::sample_memory;

// Gives back `blocks` on a thread of its own, as Cyclone's threads free samples.
void release_elsewhere(std::vector<void*>& blocks) {
  std::thread([&] {
    for (void* b : blocks) memory::release(b);
  }).join();
  blocks.clear();
}

TEST(SampleMemoryTest, BlocksOfEverySizeAreAlignedAndWritable) {
  for (std::size_t bytes : {std::size_t{1}, std::size_t{256}, std::size_t{257}, std::size_t{1200}, std::size_t{65536},
                            std::size_t{65600}, std::size_t{131072}, std::size_t{131073}, std::size_t{1} << 20}) {
    void* block = memory::allocate(bytes);
    ASSERT_NE(block, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % 16, 0u) << bytes;
    std::memset(block, 0xab, bytes);  // ASan: every byte asked for is the caller's
    memory::release(block);
  }
  memory::release(nullptr);
}

TEST(SampleMemoryTest, BlocksFreedOnAnotherThreadServeTheAllocatingThreadAgain) {
  std::vector<void*> blocks;
  std::set<void*> first;
  for (int i = 0; i < 50; ++i) blocks.push_back(memory::allocate(1100));
  first.insert(blocks.begin(), blocks.end());
  const std::size_t before = memory::returned_blocks();
  release_elsewhere(blocks);
  EXPECT_EQ(memory::returned_blocks(), before + 50);
  for (int i = 0; i < 50; ++i) blocks.push_back(memory::allocate(1200));  // the same size class (1-2 KiB)
  for (void* b : blocks) EXPECT_TRUE(first.count(b)) << "a fresh block where a returned one waited";
  EXPECT_EQ(memory::returned_blocks(), 0u);  // taken whole by this thread
  release_elsewhere(blocks);
}

TEST(SampleMemoryTest, IdleBlocksOfAClassAreBounded) {
  // 64 KiB blocks: a class keeps at most 8 MiB (128 of them) waiting; the rest are freed.
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) blocks.push_back(memory::allocate(60000));
  const std::size_t before = memory::returned_blocks();
  release_elsewhere(blocks);
  EXPECT_LE(memory::returned_blocks() - before, 128u);
  EXPECT_GE(memory::returned_blocks() - before, 64u);
}

TEST(SampleMemoryTest, AThreadThatEndsGivesBackWhatItTook) {
  // A thread takes returned blocks into its own list and ends with some unused: they are
  // freed with it (LeakSanitizer, in the sanitizer build, would report them otherwise).
  std::vector<void*> blocks;
  for (int i = 0; i < 20; ++i) blocks.push_back(memory::allocate(5000));
  release_elsewhere(blocks);
  std::thread([] { memory::release(memory::allocate(5000)); }).join();
  EXPECT_EQ(memory::returned_blocks(), 1u);  // only the one it gave back after taking all
}

}  // namespace
