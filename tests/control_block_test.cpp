#include "process/control_block.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <unistd.h>

#include <thread>

namespace sgn::detail {
namespace {

std::string unique_name(const char* what) { return fmt::format("/sgn-test-{}-{}", ::getpid(), what); }

TEST(ControlBlock, TwoMappingsShareCountersAndWakers) {
  const std::string name = unique_name("ctl");
  ControlBlock owner = ControlBlock::create(name, 3, 2);
  ControlBlock other = ControlBlock::open(name);
  EXPECT_EQ(other.nodes(), 3u);
  EXPECT_EQ(other.links(), 2u);
  owner.link(1).published.fetch_add(5);
  other.link(1).consumed.fetch_add(2);
  EXPECT_EQ(other.link(1).published.load(), 5u);
  EXPECT_EQ(owner.link(1).consumed.load(), 2u);
  EXPECT_EQ(owner.link(0).published.load(), 0u);

  // A sleeper on one mapping is woken through the other.
  Waker& sleeper = owner.waker(2);
  Waker::Ticket ticket = sleeper.prepare_wait();
  std::thread notifier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    other.waker(2).notify();
  });
  const auto start = std::chrono::steady_clock::now();
  const bool notified = ticket.wait(std::chrono::seconds(5));
  notifier.join();
  EXPECT_TRUE(notified);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST(ControlBlock, RefusesASegmentThatIsNotOne) {
  const std::string name = unique_name("not-ctl");
  ShmSegment junk = ShmSegment::create(name, 4096);
  EXPECT_THROW(ControlBlock::open(name), Error);
}

}  // namespace
}  // namespace sgn::detail
