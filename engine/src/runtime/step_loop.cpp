#include "runtime/step_loop.hpp"

#include <sched.h>

#include <algorithm>

#include "frames/frame_channel.hpp"

namespace sgn::detail {

StepLoop::StepLoop(RunControl& control, Waker& waker, std::vector<Node*> nodes)
    : control_(control), waker_(waker), nodes_(std::move(nodes)) {
  for (const Node* node : nodes_) spin_ = std::max(spin_, node->spin());
}

void StepLoop::fail(Node& node) noexcept {
  node.error = std::current_exception();
  control_.failed.store(true);
  control_.notify_all();
}

bool StepLoop::start() {
  for (Node* node : nodes_) {
    try {
      node->start();
    } catch (const StopRequested&) {
      return false;
    } catch (...) {
      fail(*node);
      return false;
    }
  }
  return true;
}

StepLoop::Pass StepLoop::pass() {
  Pass result;
  for (Node* node : nodes_) {
    if (node->finished()) continue;
    struct FlushAfterVisit {
      Node* node;
      ~FlushAfterVisit() { node->flush_wakes(); }
    } flush{node};
    for (int k = 0; k < kStepsPerVisit; ++k) {
      StepResult step;
      try {
        step = node->step();
      } catch (const StopRequested&) {
        result.moved = true;  // a wait inside the element saw the stop: nothing to record
        return result;
      } catch (...) {
        fail(*node);
        result.moved = true;
        return result;
      }
      if (step == StepResult::Done) {
        node->finish();
        node->close_outputs();
        result.moved = true;
        break;
      }
      if (step == StepResult::WaitTime) {
        result.due_ns = result.due_ns == 0 ? node->wake_at_ns() : std::min(result.due_ns, node->wake_at_ns());
        break;
      }
      if (step != StepResult::Progress) break;
      result.moved = true;
      if (control_.ending()) return result;
      // A paced source that is late makes one frame per visit, so its consumers see
      // each frame as it is made (a catch-up burst would delay them all).
      if (node->wake_at_ns() != 0) break;
    }
  }
  return result;
}

bool StepLoop::finished() const noexcept {
  return std::all_of(nodes_.begin(), nodes_.end(), [](const Node* n) { return n->finished(); });
}

void StepLoop::finish_nodes() noexcept {
  for (Node* node : nodes_) {
    node->finish();
    node->close_outputs();
  }
}

void StepLoop::wait(Waker::Ticket& ticket, std::int64_t due_ns, std::int64_t deadline_ns,
                    std::int64_t idle_since) noexcept {
  const std::int64_t start = monotonic_ns();
  if (idle_since == 0) idle_since = start;
  std::int64_t wake = start + kIdleWaitNs;
  if (due_ns != 0) wake = std::min(wake, due_ns);
  if (deadline_ns != 0) wake = std::min(wake, deadline_ns);
  const std::int64_t timeout = wake - start;
  if (timeout <= 0) return;
  const bool notified = ticket.wait(std::chrono::nanoseconds(timeout), Waker::Spin{});
  spun(monotonic_ns() - idle_since, notified, notified && waker_.last_notifier_cpu() == sched_getcpu());
}

}  // namespace sgn::detail
