#include "common/spin_budget.hpp"

#include <gtest/gtest.h>

namespace sgn::detail {
namespace {

using namespace std::chrono_literals;

TEST(SpinBudget, StartsAtTheLongestSpin) { EXPECT_EQ(SpinBudget().next(), SpinBudget::kMax); }

TEST(SpinBudget, WaitsLongerThanTheLongestSpinEndSpinningWithinAFewWaits) {
  SpinBudget budget;
  int waits = 0;
  while (budget.next() > 0ns && waits < 100) {
    budget.observe(200us, true);  // a paced sensor: a frame every 200 us
    ++waits;
  }
  EXPECT_EQ(budget.next(), 0ns);
  EXPECT_LE(waits, 8);
}

TEST(SpinBudget, TimeoutsEndSpinningToo) {
  SpinBudget budget;
  for (int i = 0; i < 8; ++i) budget.observe(1us, false);  // a paced source's due time, not a notify
  EXPECT_EQ(budget.next(), 0ns);
}

TEST(SpinBudget, AShortNotifiedWaitBringsTheSpinBackAtTwiceItsLength) {
  SpinBudget budget;
  for (int i = 0; i < 8; ++i) budget.observe(1ms, true);
  ASSERT_EQ(budget.next(), 0ns);
  budget.observe(12us, true);  // a busy stream: woken 12 us after the wait began
  EXPECT_EQ(budget.next(), 24us);
  budget.observe(40us, true);
  EXPECT_EQ(budget.next(), SpinBudget::kMax) << "never more than the longest spin";
}

TEST(SpinBudget, ShortWaitsKeepTheSpinItHas) {
  SpinBudget budget;
  for (int i = 0; i < 1000; ++i) budget.observe(2us, true);  // frames caught early in the spin
  EXPECT_EQ(budget.next(), SpinBudget::kMax) << "a busy stream must not talk itself out of spinning";
}

TEST(SpinBudget, OneLongWaitHalvesTheSpinRatherThanEndingIt) {
  SpinBudget budget;
  budget.observe(5ms, true);
  EXPECT_EQ(budget.next(), SpinBudget::kMax / 2);
}

TEST(SpinBudget, NotifiesFromTheWaitersOwnCpuSeveralInARowEndSpinning) {
  SpinBudget budget;
  for (int i = 1; i < SpinBudget::kSharedCpuNotifiesToStop; ++i) {
    budget.observe(30us, true, /*notifier_shared_the_cpu=*/true);  // the peer ran only once we slept
    EXPECT_EQ(budget.next(), SpinBudget::kMax) << "one shared-CPU notify alone says little";
  }
  budget.observe(30us, true, true);
  EXPECT_EQ(budget.next(), 0ns);
  budget.observe(3us, true, true);
  EXPECT_EQ(budget.next(), 0ns) << "a peer still on this CPU keeps the spin off";
  budget.observe(8us, true, false);  // the peer moved to the other core
  EXPECT_EQ(budget.next(), 16us);
}

TEST(SpinBudget, ANotifyFromAnotherCpuStartsTheCountAgain) {
  SpinBudget budget;
  for (int i = 1; i < SpinBudget::kSharedCpuNotifiesToStop; ++i) budget.observe(3us, true, true);
  budget.observe(3us, true, false);
  budget.observe(3us, true, true);
  EXPECT_EQ(budget.next(), SpinBudget::kMax);
}

}  // namespace
}  // namespace sgn::detail
