#include "roudi/mempool_table.hpp"

#include <gtest/gtest.h>

namespace sgn::detail {
namespace {

constexpr const char* kConfig = R"(# a RouDi config
[general]
version = 1

[[segment]]

[[segment.mempool]]
size = 16640        # up to 16 KiB
count = 512

[[segment.mempool]]
size = 256          # control messages
count = 2048

[[segment.mempool]]
size = 1048832
count = 64
)";

TEST(MempoolTable, ReadsThePoolsInAscendingOrderLessTheChunkOverhead) {
  const MempoolTable table = MempoolTable::parse(kConfig);
  ASSERT_EQ(table.pools.size(), 3u);
  EXPECT_LT(table.pools[0].payload, table.pools[1].payload);
  EXPECT_LT(table.pools[1].payload, table.pools[2].payload);
  EXPECT_EQ(table.pools[0].count, 2048u);
  EXPECT_EQ(table.pools[2].count, 64u);
  // A loan of `payload` bytes must fit a chunk of `size`: never more than the size.
  EXPECT_LE(table.pools[0].payload, 256u);
  EXPECT_GT(table.pools[0].payload, 128u);
  EXPECT_EQ(table.largest_payload(), table.pools[2].payload);
}

TEST(MempoolTable, ALoanComesFromTheSmallestPoolItFits) {
  const MempoolTable table = MempoolTable::parse(kConfig);
  EXPECT_EQ(table.chunks_for(1), 2048u);
  EXPECT_EQ(table.chunks_for(table.pools[0].payload), 2048u);
  EXPECT_EQ(table.chunks_for(table.pools[0].payload + 1), 512u);
  EXPECT_EQ(table.chunks_for(table.largest_payload()), 64u);
  EXPECT_EQ(table.chunks_for(table.largest_payload() + 1), 0u) << "no pool fits";
}

TEST(MempoolTable, SharedMemoryCoversEveryChunkAndTheManagementSegment) {
  const MempoolTable table = MempoolTable::parse(kConfig);
  std::size_t payloads = 0;
  for (const auto& pool : table.pools) payloads += pool.payload * pool.count;
  // iceoryx_mgmt is 62.8 MiB whatever the config: a 64 MiB /dev/shm leaves ~1 MiB for pools.
  EXPECT_GT(MempoolTable::kManagementBytes, std::size_t{62} << 20);
  EXPECT_LT(MempoolTable::kManagementBytes, std::size_t{64} << 20);
  EXPECT_GT(table.shm_bytes(), payloads + MempoolTable::kManagementBytes);
  EXPECT_EQ(MempoolTable::parse("").shm_bytes(), MempoolTable{}.shm_bytes());
}

TEST(MempoolTable, LinesThatAreNotSizeCountPairsAreIgnored) {
  const MempoolTable table = MempoolTable::parse("count = 5\nsize = 100\nsize: 7\ncount = 3\nname = x\n");
  ASSERT_EQ(table.pools.size(), 1u) << "a count before any size, and 'size: 7', are no pools";
  EXPECT_EQ(table.pools[0].count, 3u);
  EXPECT_TRUE(MempoolTable::parse("").pools.empty());
  EXPECT_EQ(MempoolTable{}.largest_payload(), 0u);
}

}  // namespace
}  // namespace sgn::detail
