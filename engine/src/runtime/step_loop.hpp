#pragma once
// The one loop that drives elements, shared by the main thread (its main-placed
// nodes), every worker thread and every worker process (one node each). It steps
// its nodes; when none can move it waits on its waker until notified, until a node's
// due time (a paced source), or until its owner's deadline. An element's exception
// is recorded as its node's error and fails the run; a stop or failure anywhere ends
// the loop after the step in progress (the loop looks at the run's flags after every
// step, never after a batch).

#include <sched.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "common/spin_budget.hpp"
#include "common/waker.hpp"
#include "graph/node.hpp"

namespace sgn::detail {

class StepLoop {
 public:
  /// What the loop's owner decides after each pass over the nodes.
  struct Next {
    bool end = false;              ///< leave the loop now
    std::int64_t deadline_ns = 0;  ///< wake up by then (monotonic_ns), 0: no deadline of the owner's
  };

  /// With a node in low-latency mode the loop spins as long as the longest Node::spin()
  /// of `nodes` before it sleeps; otherwise as long as its recent waits say pays (SpinBudget).
  StepLoop(RunControl& control, Waker& waker, std::vector<Node*> nodes);

  /// Calls start() on every node; false if one threw (its error is recorded).
  bool start();
  /// Steps until the run stops or fails, or `after_pass()` (returning Next) ends it.
  template <class AfterPass>
  void run(AfterPass&& after_pass);
  /// Every node reached Done.
  bool finished() const noexcept;
  /// finish() and close_outputs() on every node not done yet (after run()).
  void finish_nodes() noexcept;

  /// A node may take this many steps in a row while it makes progress (a burst keeps
  /// caches warm); the run's flags are still read after each one.
  static constexpr int kStepsPerVisit = 32;
  /// Longest sleep without a notify: a safety net, not a poll anything depends on.
  static constexpr std::int64_t kIdleWaitNs = 100'000'000;

 private:
  struct Pass {
    bool moved = false;
    std::int64_t due_ns = 0;  // earliest wake-up a node asked for (WaitTime), 0: none
  };
  Pass pass();
  /// Records the exception in flight as `node`'s error and fails the run.
  void fail(Node& node) noexcept;
  /// Sleeps (the spin is over) until notified, a node's due time or the owner's deadline.
  void wait(Waker::Ticket& ticket, std::int64_t due_ns, std::int64_t deadline_ns, std::int64_t idle_since) noexcept;
  /// How long an idle stretch spins before the loop sleeps: low-latency mode's spin, or
  /// what the recent waits say pays.
  std::chrono::nanoseconds spin_limit() const noexcept { return spin_.count() > 0 ? spin_ : spin_budget_.next(); }
  /// An idle stretch ended after `waited_ns`, by progress or not.
  void spun(std::int64_t waited_ns, bool moved, bool notifier_shared_the_cpu = false) noexcept {
    if (spin_.count() == 0) spin_budget_.observe(std::chrono::nanoseconds(waited_ns), moved, notifier_shared_the_cpu);
  }
  /// Idle passes between clock reads while spinning.
  static constexpr int kPassesPerClockRead = 8;
  /// Low-latency mode: a long spin yields the core once per this long (a sched_yield costs
  /// ~1.2 us here, and a frame that arrives meanwhile waits for it).
  static constexpr std::int64_t kYieldEveryNs = 1'000'000;

  RunControl& control_;
  Waker& waker_;
  std::vector<Node*> nodes_;
  std::chrono::nanoseconds spin_{0};
  SpinBudget spin_budget_;
};

template <class AfterPass>
void StepLoop::run(AfterPass&& after_pass) {
  // When no node moves, the loop keeps passing over its nodes, unannounced, for as long
  // as its spin allows: a frame is seen where it arrives (an input's queue), and its
  // producer's notify costs nothing (no waiter: no counter bounces between the cores).
  // Then it announces itself as a waiter, looks at everything once more, and only then
  // sleeps: no notify is lost (see Waker).
  std::optional<Waker::Ticket> ticket;
  std::int64_t idle_since = 0;  // when this idle stretch began (monotonic_ns), 0: moving
  std::int64_t next_yield = 0;  // low-latency mode: when the spin next gives the core away
  int idle_passes = 0;
  while (!control_.ending()) {
    const Pass done = pass();
    if (control_.ending()) break;
    const Next next = after_pass();
    if (next.end) break;
    if (done.moved) {
      if (idle_since != 0) spun(monotonic_ns() - idle_since, true);
      ticket.reset();
      idle_since = 0;
      idle_passes = 0;
    } else if (ticket) {
      wait(*ticket, done.due_ns, next.deadline_ns, idle_since);
      ticket.reset();
      idle_since = 0;
      idle_passes = 0;
    } else if (idle_passes++ % kPassesPerClockRead == 0) {
      const std::int64_t now = monotonic_ns();
      if (idle_since == 0) idle_since = now, next_yield = now + kYieldEveryNs;
      const std::int64_t spun_ns = now - idle_since;
      if (spun_ns >= spin_limit().count()) {
        ticket.emplace(waker_);
      } else if (spin_.count() > 0 && now >= next_yield) {
        // A peer sharing this core gets to run now and then; a yield costs ~1 us (a
        // frame arriving in it waits), so not on every look.
        sched_yield();
        next_yield = now + kYieldEveryNs;
      } else {
        Waker::relax();
      }
    } else {
      Waker::relax();
    }
  }
}

}  // namespace sgn::detail
