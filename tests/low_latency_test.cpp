// Low-latency mode (spin_us / PipelineOptions::spin): a waiting loop busy-polls before it
// sleeps. The spin is bounded, a notify ends it at once, and its bounds are enforced with
// errors naming the element and the value. (Frames and stops through a spinning worker in
// both placements: process_mode_test; signals: signal_test.)

#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/pipeline.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/waker.hpp"
#include "support/run_helpers.hpp"
#include "support/test_elements.hpp"

namespace sgn {
namespace {

using namespace std::chrono_literals;
using detail::Waker;

TEST(WakerSpin, ANotifyEndsALongSpinAtOnce) {
  Waker waker;
  Waker::Ticket ticket = waker.prepare_wait();
  std::thread notifier([&] {
    std::this_thread::sleep_for(20ms);
    waker.notify();
  });
  const auto start = test::Clock::now();
  const bool notified = ticket.wait(120s, Waker::Spin{60s});  // a spin that ignored the notify would take a minute
  notifier.join();
  EXPECT_TRUE(notified);
  EXPECT_LT(test::seconds_since(start), 30.0);
}

TEST(WakerSpin, ANotifyDuringTheSleepAfterTheSpinEndsIt) {
  Waker waker;
  Waker::Ticket ticket = waker.prepare_wait();
  std::thread notifier([&] {
    std::this_thread::sleep_for(300ms);  // well after the 1 ms spin: the waiter sleeps in the futex
    waker.notify();
  });
  const auto start = test::Clock::now();
  const bool notified = ticket.wait(120s, Waker::Spin{1ms});
  notifier.join();
  EXPECT_TRUE(notified);
  EXPECT_LT(test::seconds_since(start), 60.0);
}

TEST(WakerSpin, WithoutANotifyTheWaitEndsAtTheCallersTimeoutNotAfterSpinPlusTimeout) {
  Waker waker;
  Waker::Ticket ticket = waker.prepare_wait();
  const auto start = test::Clock::now();
  EXPECT_FALSE(ticket.wait(400ms, Waker::Spin{200ms}));
  const double seconds = test::seconds_since(start);
  EXPECT_GE(seconds, 0.39);
  EXPECT_LT(seconds, 30.0);
}

TEST(WakerSpin, ASpinLongerThanTheTimeoutEndsAtTheTimeout) {
  Waker waker;
  Waker::Ticket ticket = waker.prepare_wait();
  const auto start = test::Clock::now();
  EXPECT_FALSE(ticket.wait(50ms, Waker::Spin{60s}));
  EXPECT_LT(test::seconds_since(start), 30.0);
}

// Two threads hand a turn back and forth, each spinning a moment (1 ns), the
// default spin or not at all before it sleeps in the futex: a lost wake-up shows as a timeout.
TEST(WakerSpin, PingPongNeverLosesAWakeUp) {
  Waker wakers[2];
  std::atomic<int> turn{0};
  std::atomic<int> timeouts{0};
  constexpr int kRounds = 20000;
  auto player = [&](int me) {
    for (int i = 0; i < kRounds; ++i) {
      for (;;) {
        Waker::Ticket ticket = wakers[me].prepare_wait();
        if (turn.load() == me) break;
        const auto start = test::Clock::now();
        const Waker::Spin spins[] = {{1ns}, Waker::kDefaultSpin, {0ns}};
        const bool notified = ticket.wait(20s, spins[i % 3]);
        if (!notified && test::seconds_since(start) > 10.0) ++timeouts;  // not a late wake-up of an earlier turn
      }
      turn.store(1 - me);
      wakers[1 - me].notify();
    }
  };
  std::thread other(player, 1);
  player(0);
  other.join();
  EXPECT_EQ(timeouts.load(), 0);
}

// Three waiters on one Waker, each waiting for the next value of a counter that one
// thread raises, a notify each time: waiters going to sleep while others are being
// woken (the sleep mark is shared) must each see every step.
TEST(WakerSpin, ManyWaitersOnOneWakerNeverMissANotify) {
  Waker waker;
  std::atomic<int> counter{0};
  std::atomic<int> timeouts{0};
  constexpr int kSteps = 20000;
  auto waiter = [&](int me) {
    const Waker::Spin spins[] = {{0ns}, {1ns}, Waker::kDefaultSpin};
    for (int seen = 0; seen < kSteps;) {
      Waker::Ticket ticket = waker.prepare_wait();
      const int now = counter.load();
      if (now != seen) {
        seen = now;
        continue;
      }
      const auto start = test::Clock::now();
      const bool notified = ticket.wait(20s, spins[(me + seen) % 3]);
      if (!notified && test::seconds_since(start) > 10.0) ++timeouts;
    }
  };
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i) waiters.emplace_back(waiter, i);
  for (int i = 1; i <= kSteps; ++i) {
    counter.store(i);
    waker.notify();
    if (i % 64 == 0) std::this_thread::sleep_for(20us);  // let waiters fall asleep now and then
  }
  for (auto& t : waiters) t.join();
  EXPECT_EQ(timeouts.load(), 0);
}

// -------------------------------------------------------------- the property

Pipeline test_pipeline(PipelineOptions options = {}) {
  static Registry registry;
  static const bool registered = (test::register_test_elements(registry), true);
  (void)registered;
  options.registry = &registry;
  return Pipeline(options);
}

void expect_spin_refused(const std::string& value) {
  Pipeline p = test_pipeline();
  try {
    p.add("test-check-sink", "fast-sink", {{"spin_us", value}});
    ADD_FAILURE() << "spin_us=" << value << " was accepted";
  } catch (const PropertyError& e) {
    const std::string what = e.what();
    for (const std::string& part : {std::string("fast-sink"), std::string("test-check-sink"), std::string("spin_us"),
                                    value, std::to_string(kSpinLimit.count())}) {
      EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' missing from: " << what;
    }
  }
}

TEST(SpinProperty, OutOfRangeOrNotAnIntegerIsRefusedNamingElementValueAndRange) {
  for (const char* value : {"-1", "100001", "abc", "1.5", ""}) expect_spin_refused(value);
}

TEST(SpinProperty, TheBoundsThemselvesAreAccepted) {
  Pipeline p = test_pipeline();
  EXPECT_NO_THROW(p.add("test-check-sink", "a", {{"spin_us", "0"}}));
  EXPECT_NO_THROW(p.add("test-check-sink", "b", {{"spin_us", std::to_string(kSpinLimit.count())}}));
}

TEST(SpinProperty, TheElementNeverSeesIt) {
  Pipeline p = test_pipeline();
  p.add("test-check-sink", "sink", {{"spin_us", "10"}, {"record", "spin-hidden"}});
  EXPECT_FALSE(p.element("sink").properties().contains("spin_us"));
  EXPECT_EQ(p.element("sink").properties().get<std::string>("record"), "spin-hidden");
}

TEST(SpinProperty, ReservedForTheEngine) {
  const auto& reserved = reserved_property_names();
  EXPECT_NE(std::find(reserved.begin(), reserved.end(), std::string(kSpinProperty)), reserved.end());
}

TEST(SpinOption, OutOfRangeIsRefusedByValidateNamingTheOptionAndBound) {
  for (const auto spin : {std::chrono::microseconds(-1), kSpinLimit + std::chrono::microseconds(1)}) {
    Pipeline p = test_pipeline(PipelineOptions{.spin = spin});
    p.add("test-count-source", "src", {{"count", "1"}}).add("test-check-sink", "sink");
    p.link("src", "sink");
    try {
      p.validate();
      ADD_FAILURE() << "spin " << spin.count() << " us was accepted";
    } catch (const ValidationError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("spin " + std::to_string(spin.count())), std::string::npos) << what;
      EXPECT_NE(what.find(std::to_string(kSpinLimit.count())), std::string::npos) << what;
    }
  }
}

// A thread-placed consumer spinning the longest allowed between paced frames gets
// every frame, in order; the run ends at EOS as without the spin.
TEST(SpinMode, EveryFrameArrivesInOrderThroughSpinningThreads) {
  auto& record = test::SinkRecord::named("spin-threads");
  record.clear();
  Pipeline p = test_pipeline(PipelineOptions{.spin = 50us});
  p.add("test-count-source", "src", {{"count", "3000"}}, Placement::Thread)
      .add("test-transform", "t", {{"spin_us", std::to_string(kSpinLimit.count())}}, Placement::Thread)
      .add("test-check-sink", "sink", {{"record", "spin-threads"}, {"spin_us", "1000"}}, Placement::Thread);
  p.link("src", "t").link("t", "sink");
  const RunReport report = test::run_within(p, 60s);
  ASSERT_EQ(record.sequences.size(), 3000u);
  for (std::size_t i = 0; i < record.sequences.size(); ++i) {
    ASSERT_EQ(record.sequences[i], i);
    ASSERT_EQ(record.payload_index[i], static_cast<std::int64_t>(i));
  }
  EXPECT_TRUE(record.eos);
  EXPECT_FALSE(report.stopped);
}

}  // namespace
}  // namespace sgn
