#include <gtest/gtest.h>
#include <sgn/schemas/bytes.capnp.h>

#include <thread>

#include "common/waker.hpp"
#include "frames/heap_frame_pool.hpp"
#include "thread/spsc_channel.hpp"

namespace sgn::detail {
namespace {

using namespace std::chrono_literals;

class SpscChannelTest : public ::testing::Test {
 protected:
  Frame frame(std::uint64_t sequence) {
    FrameWriter writer = pool->loan(16, "test:out");
    writer.header().sequence = sequence;
    return writer.finish();
  }
  std::shared_ptr<HeapFramePool> pool = HeapFramePool::create(1024);
};

TEST_F(SpscChannelTest, HoldsExactlyItsCapacity) {
  SpscChannel channel(3);  // not a power of two: the ring is larger, the bound is not
  EXPECT_EQ(channel.capacity(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(channel.has_space());
    Frame f = frame(i);
    ASSERT_TRUE(channel.try_push(f));
    EXPECT_FALSE(f) << "a pushed frame is moved in";
  }
  EXPECT_EQ(channel.size(), 3u);
  EXPECT_FALSE(channel.has_space());
  Frame extra = frame(99);
  EXPECT_FALSE(channel.try_push(extra));
  ASSERT_TRUE(extra) << "a refused frame stays with the caller";
  EXPECT_EQ(extra.header().sequence, 99u);
  Frame out;
  ASSERT_TRUE(channel.try_pop(out));
  EXPECT_EQ(out.header().sequence, 0u);
  EXPECT_TRUE(channel.has_space());
  EXPECT_TRUE(channel.try_push(extra));
  EXPECT_EQ(channel.size(), 3u);
}

// Bounded in bytes too: the buffers of the queued frames (their capacity). An empty
// channel takes a frame bigger than the bound; a pop makes room and wakes the producer.
TEST_F(SpscChannelTest, HoldsAtMostItsBytesButAlwaysOneFrame) {
  const auto big = [&](std::uint64_t sequence) {
    FrameWriter writer = pool->loan(40 << 10, "test:out");  // a 40 KiB buffer
    writer.header().sequence = sequence;
    return writer.finish();
  };
  SpscChannel channel(100, 100 << 10);  // 100 frames, 100 KiB
  Waker producer;
  channel.set_wakers(nullptr, &producer);
  for (std::uint64_t i = 0; i < 3; ++i) {  // 0, 40 and 80 KiB queued: room each time
    ASSERT_TRUE(channel.has_space()) << i;
    Frame f = big(i);
    ASSERT_TRUE(channel.try_push(f)) << i;
  }
  EXPECT_EQ(channel.queued_bytes(), 3u * (40 << 10));
  EXPECT_FALSE(channel.has_space());
  Frame fourth = big(3);
  EXPECT_FALSE(channel.try_push(fourth));
  EXPECT_TRUE(fourth) << "a refused frame stays with the caller";
  EXPECT_EQ(channel.size(), 3u);

  Waker::Ticket producer_waits = producer.prepare_wait();
  Frame out;
  ASSERT_TRUE(channel.try_pop(out));
  EXPECT_TRUE(producer_waits.wait(0ms)) << "the pop that made room woke the producer";
  EXPECT_EQ(channel.queued_bytes(), 2u * (40 << 10));
  EXPECT_TRUE(channel.has_space());
  EXPECT_TRUE(channel.try_push(fourth));

  SpscChannel tight(100, 1 << 10);  // smaller than any one frame
  Frame first = big(10), second = big(11);
  ASSERT_TRUE(tight.try_push(first)) << "an empty channel takes a frame over the bound";
  EXPECT_FALSE(tight.has_space());
  EXPECT_FALSE(tight.try_push(second));
  ASSERT_TRUE(tight.try_pop(out));
  EXPECT_TRUE(tight.try_push(second));

  SpscChannel frames_only(3, 0);  // 0: no byte bound
  for (std::uint64_t i = 0; i < 3; ++i) {
    Frame f = big(20 + i);
    ASSERT_TRUE(frames_only.try_push(f));
  }
  EXPECT_FALSE(frames_only.has_space()) << "still bounded in frames";
}

TEST_F(SpscChannelTest, KeepsOrderAcrossManyWrapArounds) {
  SpscChannel channel(5);
  std::uint64_t pushed = 0, popped = 0;
  for (int round = 0; round < 200; ++round) {
    for (int k = 0; k < 1 + round % 4; ++k) {  // at most 4 new + 1 kept = capacity
      Frame f = frame(pushed);
      ASSERT_TRUE(channel.try_push(f));
      ++pushed;
    }
    while (channel.size() > static_cast<std::size_t>(round % 2)) {
      Frame out;
      ASSERT_TRUE(channel.try_pop(out));
      ASSERT_EQ(out.header().sequence, popped++);
    }
  }
  Frame out;
  while (channel.try_pop(out)) ASSERT_EQ(out.header().sequence, popped++);
  EXPECT_EQ(popped, pushed);
  EXPECT_FALSE(channel.try_pop(out));
}

TEST_F(SpscChannelTest, ClosedChannelStillDrains) {
  SpscChannel channel(4);
  Waker consumer, producer;
  channel.set_wakers(&consumer, &producer);
  for (std::uint64_t i = 0; i < 2; ++i) {
    Frame f = frame(i);
    ASSERT_TRUE(channel.try_push(f));
  }
  Waker::Ticket consumer_waits = consumer.prepare_wait();
  Waker::Ticket producer_waits = producer.prepare_wait();
  EXPECT_FALSE(channel.closed());
  channel.close();
  EXPECT_TRUE(channel.closed());
  EXPECT_TRUE(consumer_waits.wait(0ms)) << "close must wake the consumer";
  EXPECT_TRUE(producer_waits.wait(0ms)) << "close must wake the producer";
  Frame out;
  ASSERT_TRUE(channel.try_pop(out));
  EXPECT_EQ(out.header().sequence, 0u);
  ASSERT_TRUE(channel.try_pop(out));
  EXPECT_EQ(out.header().sequence, 1u);
  EXPECT_FALSE(channel.try_pop(out));
  EXPECT_TRUE(channel.closed());
}

TEST_F(SpscChannelTest, PushWakesConsumerPopWakesProducer) {
  SpscChannel channel(2);
  Waker consumer, producer;
  channel.set_wakers(&consumer, &producer);
  {
    Waker::Ticket consumer_waits = consumer.prepare_wait();
    Frame f = frame(0);
    ASSERT_TRUE(channel.try_push(f));
    EXPECT_TRUE(consumer_waits.wait(0ms));
  }
  Waker::Ticket producer_waits = producer.prepare_wait();
  Frame out;
  ASSERT_TRUE(channel.try_pop(out));
  EXPECT_TRUE(producer_waits.wait(0ms));
}

TEST_F(SpscChannelTest, DeferredWakesWakeAnAnnouncedWaiterAtOnce) {
  SpscChannel channel(2);
  Waker consumer, producer;
  channel.set_wakers(&consumer, &producer);
  channel.defer_consumer_wakes();
  channel.defer_producer_wakes();
  {
    Waker::Ticket consumer_waits = consumer.prepare_wait();
    Frame f = frame(0);
    ASSERT_TRUE(channel.try_push(f));
    EXPECT_TRUE(consumer_waits.wait(0ms)) << "a consumer already waiting must not wait for the flush";
  }
  Waker::Ticket producer_waits = producer.prepare_wait();
  Frame out;
  ASSERT_TRUE(channel.try_pop(out));
  EXPECT_TRUE(producer_waits.wait(0ms)) << "a producer already waiting must not wait for the flush";
}

TEST_F(SpscChannelTest, DeferredWakesOfABusyPeerComeWithTheFlush) {
  SpscChannel channel(4);
  Waker consumer, producer;
  channel.set_wakers(&consumer, &producer);
  channel.defer_consumer_wakes();
  channel.defer_producer_wakes();
  for (std::uint64_t i = 0; i < 3; ++i) {
    Frame f = frame(i);
    ASSERT_TRUE(channel.try_push(f));
  }
  {
    // The consumer announces itself after the pushes (it was busy): only the flush wakes it.
    Waker::Ticket consumer_waits = consumer.prepare_wait();
    channel.flush_consumer_wake();
    EXPECT_TRUE(consumer_waits.wait(0ms));
  }
  {
    Waker::Ticket consumer_waits = consumer.prepare_wait();
    channel.flush_consumer_wake();  // nothing pushed since the last flush
    EXPECT_FALSE(consumer_waits.wait(0ms));
  }
  Frame out;
  ASSERT_TRUE(channel.try_pop(out));
  ASSERT_TRUE(channel.try_pop(out));
  Waker::Ticket producer_waits = producer.prepare_wait();
  EXPECT_FALSE(producer_waits.wait(0ms)) << "the pops before the announcement woke nobody";
  channel.flush_producer_wake();
  EXPECT_TRUE(producer_waits.wait(0ms));
}

TEST_F(SpscChannelTest, ReleasesFramesItStillHolds) {
  {
    SpscChannel channel(8);
    for (std::uint64_t i = 0; i < 5; ++i) {
      Frame f = frame(i);
      ASSERT_TRUE(channel.try_push(f));
    }
    Frame out;
    ASSERT_TRUE(channel.try_pop(out));
    EXPECT_EQ(pool->pooled(), 0u);
  }
  EXPECT_EQ(pool->pooled(), 5u);
}

// A producer and a consumer thread that sleep on their wakers whenever they cannot
// move. A lost wake-up would show as a wait that ran into its timeout. With deferred
// wakes each side flushes before it waits, as the step loop does after a burst.
class WakeupsAcrossThreads : public SpscChannelTest, public ::testing::WithParamInterface<bool> {};

TEST_P(WakeupsAcrossThreads, LoseNothing) {
  constexpr std::uint64_t kFrames = 50000;
  const bool deferred = GetParam();
  SpscChannel channel(4);
  Waker consumer_waker, producer_waker;
  channel.set_wakers(&consumer_waker, &producer_waker);
  if (deferred) {
    channel.defer_consumer_wakes();
    channel.defer_producer_wakes();
  }
  std::vector<Frame> frames;
  frames.reserve(kFrames);
  for (std::uint64_t i = 0; i < kFrames; ++i) frames.push_back(frame(i));

  std::atomic<int> producer_timeouts{0};
  std::thread producer([&] {
    for (auto& f : frames) {
      while (true) {
        if (channel.try_push(f)) break;
        channel.flush_consumer_wake();
        Waker::Ticket ticket = producer_waker.prepare_wait();
        if (channel.try_push(f)) break;
        if (!ticket.wait(5s)) ++producer_timeouts;
      }
    }
    channel.close();
  });
  std::uint64_t expected = 0;
  int consumer_timeouts = 0;
  bool in_order = true;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    Frame out;
    if (channel.try_pop(out)) {
      in_order = in_order && out.header().sequence == expected;
      ++expected;
      continue;
    }
    channel.flush_producer_wake();
    Waker::Ticket ticket = consumer_waker.prepare_wait();
    if (channel.try_pop(out)) {
      in_order = in_order && out.header().sequence == expected;
      ++expected;
      continue;
    }
    if (channel.closed() && channel.size() == 0) {
      if (!channel.try_pop(out)) break;  // the last push may land just before close
      in_order = in_order && out.header().sequence == expected++;
      continue;
    }
    if (!ticket.wait(5s)) ++consumer_timeouts;
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(expected, kFrames);
  EXPECT_EQ(consumer_timeouts, 0);
  EXPECT_EQ(producer_timeouts.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Wakes, WakeupsAcrossThreads, ::testing::Values(false, true),
                         [](const auto& param) { return param.param ? "deferred" : "immediate"; });

TEST(Waker, NotifyAfterTheAnnouncementIsNotLost) {
  Waker waker;
  Waker::Ticket ticket = waker.prepare_wait();
  waker.notify();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ticket.wait(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(Waker, NotifyWithNobodyWaitingWakesNoLaterWaiter) {
  // Waiters check their condition after announcing themselves, so an earlier notify is not needed.
  Waker waker;
  waker.notify();
  Waker::Ticket ticket = waker.prepare_wait();
  EXPECT_FALSE(ticket.wait(20ms));
}

TEST(Waker, WaitTimesOut) {
  Waker waker;
  const auto start = std::chrono::steady_clock::now();
  Waker::Ticket ticket = waker.prepare_wait();
  EXPECT_FALSE(ticket.wait(50ms));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 40ms);
  EXPECT_LT(waited, 2s);
}

TEST(Waker, NotifyWakesASleeper) {
  Waker waker;
  Waker::Ticket ticket = waker.prepare_wait();
  std::thread notifier([&] {
    std::this_thread::sleep_for(50ms);
    waker.notify();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ticket.wait(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  notifier.join();
}

TEST(Waker, WaitUnlessChecksAgainAfterAnnouncing) {
  Waker waker;
  int checks = 0;
  EXPECT_TRUE(waker.wait_unless([&] { return ++checks == 2; }, 10s));
  EXPECT_EQ(checks, 2);
}

}  // namespace
}  // namespace sgn::detail
