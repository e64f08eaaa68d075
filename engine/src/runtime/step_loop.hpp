#pragma once
// The one loop that drives elements, shared by the main thread (its main-placed
// nodes), every worker thread and every worker process (one node each). It steps
// its nodes; when none can move it waits on its waker until notified, until a node's
// due time (a paced source), or until its owner's deadline. An element's exception
// is recorded as its node's error and fails the run; a stop or failure anywhere ends
// the loop after the step in progress (the loop looks at the run's flags after every
// step, never after a batch).

#include <cstdint>
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
  void wait(Waker::Ticket& ticket, std::int64_t due_ns, std::int64_t deadline_ns) noexcept;
  /// Idle passes are a spin too: none when the loop would not spin either.
  int idle_passes_before_announcing() const noexcept {
    return spin_.count() > 0 || spin_budget_.next().count() > 0 ? Waker::kPollsBeforeAnnouncing : 1;
  }

  RunControl& control_;
  Waker& waker_;
  std::vector<Node*> nodes_;
  std::chrono::nanoseconds spin_{0};
  SpinBudget spin_budget_;
};

template <class AfterPass>
void StepLoop::run(AfterPass&& after_pass) {
  // After a few idle passes the loop announces itself as a waiter, looks at everything
  // once more, and only then sleeps: no notify is lost, and none costs anything while
  // frames flow (see Waker).
  std::optional<Waker::Ticket> ticket;
  int idle_passes = 0;
  while (!control_.ending()) {
    const Pass done = pass();
    if (control_.ending()) break;
    const Next next = after_pass();
    if (next.end) break;
    if (done.moved) {
      ticket.reset();
      idle_passes = 0;
    } else if (ticket) {
      wait(*ticket, done.due_ns, next.deadline_ns);
      ticket.reset();
      idle_passes = 0;
    } else if (++idle_passes >= idle_passes_before_announcing()) {
      ticket.emplace(waker_);
    } else {
      Waker::relax();
    }
  }
}

}  // namespace sgn::detail
