#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/frame.hpp>
#include <sgn/schemas/bytes.capnp.h>
#include <sgn/schemas/samples.capnp.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <thread>

#include "frames/frame_access.hpp"
#include "frames/heap_frame_pool.hpp"

namespace sgn {
namespace {

using detail::HeapFramePool;

Frame make_samples(HeapFramePool& pool, double rate, std::vector<float> data) {
  FrameWriter writer = pool.loan(1024, "src:out");
  auto root = writer.init<schema::Samples>();
  root.setSampleRate(rate);
  root.setChannelCount(1);
  auto list = root.initData(static_cast<unsigned>(data.size()));
  for (unsigned i = 0; i < data.size(); ++i) list.set(i, data[i]);
  writer.header().sequence = 7;
  return writer.finish();
}

TEST(Frame, BuildAndReadRoundTrip) {
  auto pool = HeapFramePool::create(4);
  Frame frame = make_samples(*pool, 16384.0, {1.5f, -2.0f, 3.25f});
  ASSERT_TRUE(frame);
  EXPECT_FALSE(frame.eos());
  EXPECT_FALSE(frame.gap());
  EXPECT_EQ(frame.header().sequence, 7u);
  EXPECT_EQ(frame.header().schema_id, schema_type<schema::Samples>().id);
  EXPECT_GT(frame.header().message_bytes, 0u);
  EXPECT_EQ(frame.header().message_bytes % 8, 0u);
  EXPECT_LE(frame.header().message_bytes, frame.capacity());

  auto view = frame.read<schema::Samples>();
  EXPECT_EQ(view->getSampleRate(), 16384.0);
  EXPECT_EQ(view->getChannelCount(), 1u);
  ASSERT_EQ(view->getData().size(), 3u);
  EXPECT_EQ(view->getData()[0], 1.5f);
  EXPECT_EQ(view->getData()[1], -2.0f);
  EXPECT_EQ((*view).getData()[2], 3.25f);
}

TEST(Frame, ReadingTheWrongTypeNamesBothTypes) {
  auto pool = HeapFramePool::create(4);
  Frame frame = make_samples(*pool, 1.0, {1.0f});
  try {
    frame.read<schema::Bytes>("sink:in");
    FAIL() << "no TypeMismatchError";
  } catch (const TypeMismatchError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("sink:in"), std::string::npos) << what;
    EXPECT_NE(what.find("Bytes"), std::string::npos) << what;
    EXPECT_NE(what.find("Samples"), std::string::npos) << what;
  }
}

TEST(Frame, ReadingEosOrGapPayloadIsAFrameError) {
  auto pool = HeapFramePool::create(4);
  for (std::uint32_t flag : {kFrameEos, kFrameGap}) {
    FrameWriter writer = pool->loan(0, "src:out");
    Frame frame = writer.finish(flag);
    EXPECT_EQ(frame.eos(), flag == kFrameEos);
    EXPECT_EQ(frame.gap(), flag == kFrameGap);
    EXPECT_EQ(frame.header().message_bytes, 0u);
    try {
      frame.read<schema::Bytes>("sink:in");
      FAIL() << "no FrameError";
    } catch (const TypeMismatchError& e) {
      FAIL() << "wrong error: " << e.what();
    } catch (const FrameError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("sink:in"), std::string::npos) << what;
      EXPECT_NE(what.find(flag == kFrameEos ? "EOS" : "gap"), std::string::npos) << what;
    }
  }
}

TEST(Frame, GapFromABuiltMessageCarriesNoPayload) {
  auto pool = HeapFramePool::create(4);
  FrameWriter writer = pool->loan(256, "src:out");
  writer.init<schema::Bytes>().initData(64);
  Frame frame = writer.finish(kFrameGap);
  EXPECT_EQ(frame.header().message_bytes, 0u);
  EXPECT_EQ(frame.header().schema_id, 0u);
  EXPECT_THROW(frame.read<schema::Bytes>(), FrameError);
}

TEST(Frame, MessageOutgrowingItsFrameThrowsNamingPadAndSizes) {
  auto pool = HeapFramePool::create(4);
  FrameWriter writer = pool->loan(64, "scale:out");
  ASSERT_EQ(writer.capacity(), 64u);
  auto root = writer.init<schema::Bytes>();
  try {
    root.initData(1000);
    FAIL() << "the message grew past its frame (heap fallback?)";
  } catch (const FrameError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("scale:out"), std::string::npos) << what;
    EXPECT_NE(what.find("frame of 64 bytes"), std::string::npos) << what;
    const auto more = what.find(" more needed");
    ASSERT_NE(more, std::string::npos) << what;
    const auto number = what.rfind(' ', more - 1);
    EXPECT_GE(std::stoul(what.substr(number + 1, more - number - 1)), 1000u) << what;
  }
}

TEST(Frame, EvenTheRootMustFit) {
  auto pool = HeapFramePool::create(4);
  FrameWriter writer = pool->loan(0, "src:out");
  EXPECT_THROW(writer.init<schema::Samples>(), FrameError);
}

TEST(Frame, UnpublishedWriterReturnsItsStorage) {
  auto pool = HeapFramePool::create(4);
  EXPECT_EQ(pool->pooled(), 0u);
  {
    FrameWriter writer = pool->loan(100, "src:out");
    writer.init<schema::Bytes>().initData(50);
    EXPECT_EQ(pool->pooled(), 0u);
  }
  EXPECT_EQ(pool->pooled(), 1u);
  {
    FrameWriter writer = pool->loan(100, "src:out");
    EXPECT_EQ(pool->pooled(), 0u);  // reused, not allocated anew
    FrameWriter other = pool->loan(100, "src:out");
    writer = std::move(other);  // the overwritten loan goes back
    EXPECT_EQ(pool->pooled(), 1u);
  }
  EXPECT_EQ(pool->pooled(), 2u);
  {
    FrameWriter writer = pool->loan(100, "src:out");
    FrameWriter overflowed = pool->loan(16, "src:out");
    EXPECT_THROW(overflowed.init<schema::Bytes>().initData(1000), FrameError);
  }
  EXPECT_EQ(pool->pooled(), 2u);
}

TEST(Frame, PoolKeepsAtMostItsLimit) {
  auto pool = HeapFramePool::create(1);
  {
    FrameWriter a = pool->loan(64, "a");
    FrameWriter b = pool->loan(64, "b");
  }
  EXPECT_EQ(pool->pooled(), 2u);  // returned; the owner trims when it takes them back
  {
    FrameWriter c = pool->loan(64, "c");
    EXPECT_EQ(pool->pooled(), 0u) << "one buffer reused, the one over the limit freed";
  }
  EXPECT_EQ(pool->pooled(), 1u);
}

TEST(Frame, BuffersComeBackFromOtherThreads) {
  auto pool = HeapFramePool::create(64);
  std::vector<Frame> frames;
  for (int i = 0; i < 32; ++i) frames.push_back(pool->loan(64, "src:out").finish());
  std::thread consumer([&] { frames.clear(); });
  consumer.join();
  EXPECT_EQ(pool->pooled(), 32u);
  std::vector<Frame> again;
  for (int i = 0; i < 32; ++i) again.push_back(pool->loan(64, "src:out").finish());
  EXPECT_EQ(pool->pooled(), 0u) << "all 32 reused";
}

// A small pooled buffer's payload starts on the third cache line of its storage: the
// thread-mode channel asks for that line with the header's (SpscChannel::try_pop).
// From 64 KiB up the payload is an allocation of its own. Both start zeroed.
TEST(Frame, ASmallBuffersPayloadFollowsItsHeaderInOneAllocation) {
  auto pool = HeapFramePool::create(4);
  for (const std::size_t bytes : {std::size_t{16}, std::size_t{1000}, std::size_t{60000}, std::size_t{70000}}) {
    const Frame frame = pool->loan(bytes, "src:out").finish();
    const auto* storage = reinterpret_cast<const std::byte*>(detail::FrameAccess::storage(frame));
    if (bytes < 64 * 1024) {
      EXPECT_EQ(frame.payload(), storage + 128) << bytes << " bytes";
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(frame.payload()) % 64, 0u) << bytes << " bytes";
    } else {
      EXPECT_NE(frame.payload(), storage + 128) << bytes << " bytes";
    }
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(frame.payload()) % 8, 0u) << bytes << " bytes";
    const std::byte* payload = frame.payload();
    EXPECT_TRUE(std::all_of(payload + frame.header().message_bytes, payload + frame.capacity(),
                            [](std::byte b) { return b == std::byte{0}; }))
        << bytes << " bytes";
  }
}

// Cap'n Proto assumes zeroed space. A buffer reused after a big message must come
// back zeroed, or the new message's unset fields read the old bytes.
void expect_clean_reuse(bool publish_first) {
  auto pool = HeapFramePool::create(4);
  {
    FrameWriter big = pool->loan(4096, "src:out");
    auto data = big.init<schema::Bytes>().initData(4000);
    std::memset(data.begin(), 0xAB, data.size());
    if (publish_first) Frame published = big.finish();
  }
  ASSERT_EQ(pool->pooled(), 1u);
  FrameWriter small = pool->loan(64, "src:out");
  ASSERT_EQ(small.capacity(), 4096u) << "the big buffer was not reused";
  auto root = small.init<schema::Samples>();
  root.setChannelCount(2);
  root.initData(3).set(1, 4.0f);
  Frame frame = small.finish();
  auto view = frame.read<schema::Samples>();
  EXPECT_EQ(view->getSampleRate(), 0.0);
  EXPECT_EQ(view->getStartTimeNs(), 0);
  EXPECT_EQ(view->getChannelCount(), 2u);
  ASSERT_EQ(view->getData().size(), 3u);
  EXPECT_EQ(view->getData()[0], 0.0f);
  EXPECT_EQ(view->getData()[1], 4.0f);
  EXPECT_EQ(view->getData()[2], 0.0f);
  const std::byte* payload = frame.payload();
  const bool rest_zero = std::all_of(payload + frame.header().message_bytes, payload + frame.capacity(),
                                     [](std::byte b) { return b == std::byte{0}; });
  EXPECT_TRUE(rest_zero);
}

TEST(Frame, ReusedBufferIsZeroedAfterAPublishedBigMessage) { expect_clean_reuse(true); }

TEST(Frame, SkippingZeroingKeepsTheStaleBytesOwedToTheNextFrame) {
  auto pool = HeapFramePool::create(4);
  {
    FrameWriter big = pool->loan(4096, "src:out");
    auto data = big.init<schema::Bytes>().initData(4000);
    std::memset(data.begin(), 0xAB, data.size());
    Frame published = big.finish();
  }
  {
    // A producer that overwrites what it allocates: the stale bytes stay, unzeroed.
    FrameWriter fast = pool->loan(64, "src:out");
    fast.skip_zeroing();
    auto data = fast.init<schema::Bytes>().initData(8);
    std::memset(data.begin(), 0x11, data.size());
    Frame frame = fast.finish();
    EXPECT_EQ(frame.read<schema::Bytes>()->getData()[0], 0x11);
    EXPECT_EQ(static_cast<unsigned char>(frame.payload()[1000]), 0xAB) << "zeroing was not skipped";
  }
  // The next ordinary frame must still start from zeros over the whole stale range.
  FrameWriter normal = pool->loan(64, "src:out");
  auto root = normal.init<schema::Samples>();
  root.setChannelCount(1);
  Frame frame = normal.finish();
  EXPECT_EQ(frame.read<schema::Samples>()->getSampleRate(), 0.0);
  const std::byte* payload = frame.payload();
  EXPECT_TRUE(std::all_of(payload + frame.header().message_bytes, payload + frame.capacity(),
                          [](std::byte b) { return b == std::byte{0}; }));
}
TEST(Frame, ReusedBufferIsZeroedAfterAnAbandonedBigMessage) { expect_clean_reuse(false); }

TEST(Frame, AProducerThatLeavesItsListsZeroPaysNoMemsetOfThePayload) {
  auto pool = HeapFramePool::create(1);
  {
    // An earlier frame wrote every byte: the first list-zero frame must still read zeros.
    FrameWriter big = pool->loan(4096, "src:out");
    auto data = big.init<schema::Bytes>().initData(4000);
    std::memset(data.begin(), 0xAB, data.size());
    Frame published = big.finish();
  }
  {
    FrameWriter constant = pool->loan(4096, "src:out");
    constant.leave_lists_zero();
    constant.init<schema::Bytes>().initData(4000);
    Frame frame = constant.finish();
    auto data = frame.read<schema::Bytes>()->getData();
    EXPECT_TRUE(std::all_of(data.begin(), data.end(), [](auto b) { return b == 0; }));
    // Bytes past the structure that no frame says it dirtied: the next frame of this
    // producer must leave them as they are (no memset), which this marks.
    std::memset(const_cast<std::byte*>(frame.payload()) + 1000, 0xCD, 8);
  }
  FrameWriter next = pool->loan(4096, "src:out");
  next.leave_lists_zero();
  next.init<schema::Bytes>().initData(4000);
  Frame frame = next.finish();
  EXPECT_EQ(static_cast<unsigned char>(frame.payload()[1000]), 0xCD) << "the payload was zeroed again";
  EXPECT_EQ(frame.read<schema::Bytes>()->getData().size(), 4000u);
}

TEST(Frame, CopiesShareStorage) {
  auto pool = HeapFramePool::create(4);
  Frame first = make_samples(*pool, 2.0, {9.0f});
  Frame second = first;
  EXPECT_EQ(first.payload(), second.payload());
  EXPECT_EQ(&first.header(), &second.header());
  first = Frame();
  EXPECT_FALSE(first);
  EXPECT_EQ(pool->pooled(), 0u);  // `second` still holds it
  EXPECT_EQ(second.read<schema::Samples>()->getData()[0], 9.0f);
  Frame third = std::move(second);
  EXPECT_FALSE(second);  // NOLINT(bugprone-use-after-move): moved-from handles are empty
  EXPECT_EQ(pool->pooled(), 0u);
  third = Frame();
  EXPECT_EQ(pool->pooled(), 1u);
}

TEST(Frame, StorageOutlivesItsPool) {
  Frame frame;
  {
    auto pool = HeapFramePool::create(4);
    frame = make_samples(*pool, 3.0, {1.0f});
  }
  EXPECT_EQ(frame.read<schema::Samples>()->getSampleRate(), 3.0);
}

// Buffers of 1 MiB and more are mapped outside the malloc heap (heap_frame_pool.cpp):
// the same contract as small ones: zero when new, reused, zeroed where the last frame
// wrote, alive while a frame holds them after the pool is gone.
TEST(Frame, BigBuffersKeepThePoolsContract) {
  constexpr std::size_t kBig = std::size_t{4} << 20;
  Frame survivor;
  {
    auto pool = HeapFramePool::create(2);
    const std::byte* first_payload = nullptr;
    {
      FrameWriter big = pool->loan(kBig, "src:out");
      ASSERT_GE(big.capacity(), kBig);
      auto data = big.init<schema::Bytes>().initData(static_cast<unsigned>(kBig - 64));
      EXPECT_TRUE(std::all_of(data.begin(), data.end(), [](auto b) { return b == 0; })) << "a new buffer is zero";
      std::memset(data.begin(), 0xCD, data.size());
      Frame published = big.finish();
      first_payload = published.payload();
    }
    FrameWriter again = pool->loan(kBig, "src:out");
    EXPECT_EQ(again.finish().payload(), first_payload) << "the big buffer was not reused";
    FrameWriter reused = pool->loan(kBig, "src:out");
    reused.init<schema::Bytes>().initData(16);
    survivor = reused.finish();
    const std::byte* payload = survivor.payload();
    EXPECT_TRUE(std::all_of(payload + survivor.header().message_bytes, payload + survivor.capacity(),
                            [](std::byte b) { return b == std::byte{0}; }))
        << "what the last frame wrote was not zeroed";
  }
  EXPECT_EQ(survivor.read<schema::Bytes>()->getData().size(), 16u);
}

TEST(Frame, UnpooledHeapFrame) {
  FrameWriter writer = detail::loan_heap_frame(128, "file:out");
  writer.init<schema::Bytes>().initData(100);
  Frame frame = writer.finish();
  EXPECT_EQ(frame.read<schema::Bytes>()->getData().size(), 100u);
}

TEST(Frame, OnlyMessagesBuiltInPlaceSkipBoundsChecks) {
  auto pool = HeapFramePool::create(4);
  FrameWriter built = pool->loan(128, "src:out");
  built.init<schema::Bytes>().initData(16);
  const Frame frame = built.finish();
  EXPECT_TRUE(frame.header().flags & kFrameBuiltInPlace);

  // A copied message (a file, a socket) is checked even if its producer claims otherwise.
  FrameWriter copied = pool->loan(128, "file:out");
  copied.copy_message(frame.payload(), frame.header().message_bytes, frame.header().schema_id);
  const Frame copy = copied.finish(kFrameBuiltInPlace);
  EXPECT_FALSE(copy.header().flags & kFrameBuiltInPlace);
  EXPECT_EQ(copy.read<schema::Bytes>()->getData().size(), 16u);

  // A root pointer to a struct far beyond the segment: the checked read refuses it.
  alignas(8) std::uint64_t bad[2] = {0x0001'0000'0100'0000ull, 0};  // struct at +1 Mi words
  FrameWriter corrupt = pool->loan(128, "file:out");
  corrupt.copy_message(reinterpret_cast<const std::byte*>(bad), sizeof bad, schema_type<schema::Bytes>().id);
  const Frame broken = corrupt.finish();
  EXPECT_ANY_THROW(broken.read<schema::Bytes>()->getData());
}

TEST(Frame, AMessageFilledInPiecesIsSealedAsACopy) {
  auto pool = HeapFramePool::create(4);
  FrameWriter built = pool->loan(256, "src:out");
  auto data = built.init<schema::Bytes>().initData(100);
  for (unsigned i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 3);
  const Frame frame = built.finish();
  const std::size_t bytes = frame.header().message_bytes;

  // As a network's fragments arrive: the payload filled in three pieces.
  FrameWriter filled = pool->loan(256, "net:out");
  const std::span<std::byte> payload = filled.message_to_fill(bytes, frame.header().schema_id);
  ASSERT_EQ(payload.size(), bytes);
  std::memcpy(payload.data(), frame.payload(), 16);
  std::memcpy(payload.data() + 16, frame.payload() + 16, 40);
  std::memcpy(payload.data() + 56, frame.payload() + 56, bytes - 56);
  const Frame copy = filled.finish();
  EXPECT_EQ(copy.header().message_bytes, bytes);
  EXPECT_FALSE(copy.header().flags & kFrameBuiltInPlace);  // checked when read, as any copy
  const auto view = copy.read<schema::Bytes>();
  ASSERT_EQ(view->getData().size(), 100u);
  for (unsigned i = 0; i < 100; ++i) EXPECT_EQ(view->getData()[i], static_cast<std::uint8_t>(i * 3));

  // Not whole words, larger than the frame, or a second message: refused, naming the pad.
  FrameWriter odd = pool->loan(256, "net:out");
  EXPECT_THROW(odd.message_to_fill(12, 0), FrameError);
  EXPECT_THROW(odd.message_to_fill(odd.capacity() + 8, 0), FrameError);
  odd.message_to_fill(8, 0);
  try {
    odd.message_to_fill(8, 0);
    ADD_FAILURE() << "a second message was accepted";
  } catch (const FrameError& e) {
    EXPECT_NE(std::string(e.what()).find("net:out"), std::string::npos) << e.what();
  }
}

TEST(Frame, SchemaNames) {
  EXPECT_EQ(schema_type<schema::Bytes>().name, "Bytes");
  EXPECT_EQ(schema_name(schema_type<schema::Samples>().id), "Samples");
  EXPECT_NE(schema_name(0x1234).find("0x1234"), std::string::npos);
}

}  // namespace
}  // namespace sgn
