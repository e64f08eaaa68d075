#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <thread>

#include "common/waker.hpp"
#include "common/waker_list.hpp"

namespace sgn::detail {
namespace {

using namespace std::chrono_literals;

TEST(WakerList, NotifiesEveryRegisteredWakerAcrossItsBlocks) {
  std::deque<Waker> wakers(40);  // more than one block of slots
  WakerList list;
  for (Waker& w : wakers) list.add(&w);
  EXPECT_EQ(list.size(), 40u);
  std::deque<Waker::Ticket> tickets;
  for (Waker& w : wakers) tickets.emplace_back(w);
  list.notify_all();
  for (std::size_t i = 0; i < tickets.size(); ++i) EXPECT_TRUE(tickets[i].wait(0ns)) << "waker " << i;
}

TEST(WakerList, AnEmptyListNotifiesNobody) {
  WakerList list;
  list.notify_all();
  EXPECT_EQ(list.size(), 0u);
}

// What a stop request does while a run registers its wakers: a notify_all() reads the
// list as it grows (a vector here moved its storage under the reader).
TEST(WakerList, NotifyingWhileWakersAreAddedReachesAllOfThemAfterwards) {
  constexpr std::size_t kWakers = 2000;
  std::deque<Waker> wakers(kWakers);
  WakerList list;
  std::atomic<bool> adding{true};
  std::thread requester([&] {
    while (adding.load()) list.notify_all();
  });
  for (Waker& w : wakers) list.add(&w);
  adding.store(false);
  requester.join();
  std::deque<Waker::Ticket> tickets;
  for (Waker& w : wakers) tickets.emplace_back(w);
  list.notify_all();
  for (std::size_t i = 0; i < kWakers; ++i) ASSERT_TRUE(tickets[i].wait(0ns)) << "waker " << i;
}

}  // namespace
}  // namespace sgn::detail
