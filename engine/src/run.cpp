// Running a validated pipeline: main-placed elements are stepped by this thread,
// thread-placed ones each by a worker thread; all links are bounded lossless
// channels. Errors are caught in exactly two places: the main loop and the
// worker loop, and surface from run() named and nested.

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "detail/heap_frame_pool.hpp"
#include "detail/node.hpp"
#include "detail/pipeline_impl.hpp"
#include "detail/progress_ticker.hpp"
#include "detail/signal_guard.hpp"
#include "detail/spsc_channel.hpp"
#include "process/process_group.hpp"
#include "sgn/error.hpp"

namespace sgn::detail {
namespace {

constexpr int kStepsPerVisit = 32;  // frames a main-placed element may handle per pass
constexpr auto kIdleWait = std::chrono::milliseconds(100);

struct Worker {
  Node* node = nullptr;
  std::thread thread;
  std::atomic<bool> done{false};
};

// Everything a run owns. Worker threads hold it too, so a worker that outlives
// the join timeout never touches freed memory.
struct RunState {
  RunControl control;
  SharedTable shared;                        // Pipeline::share, as the elements see it
  std::unique_ptr<ProcessGroup> group;       // process mode only; outlives the nodes' frames
  std::vector<std::unique_ptr<Node>> nodes;  // topological order
  std::vector<std::unique_ptr<FrameChannel>> channels;
  std::vector<std::shared_ptr<HeapFramePool>> pools;
  std::vector<std::unique_ptr<Worker>> workers;
};

void worker_main(std::shared_ptr<RunState> state, Worker* worker) {
  Node& node = *worker->node;
  RunControl& control = state->control;
  try {
    node.start();
    bool done = false;
    auto moved = [&] {
      const StepResult result = node.step();
      done = result == StepResult::Done;
      return done || result == StepResult::Progress;
    };
    while (!done && !control.stop_requested.load(std::memory_order_relaxed)) {
      node.waker().wait_unless(moved, kIdleWait);
    }
  } catch (...) {
    node.error = std::current_exception();
    control.failed.store(true);
  }
  node.finish();
  node.close_outputs();
  worker->done.store(true, std::memory_order_release);
  control.main_waker->notify();
}

std::string where(const Node& node) {
  std::string text = fmt::format("element '{}' ({})", node.name(), to_string(node.placement()));
  if (!node.current_pad().empty()) {
    text += fmt::format(", pad '{}', frame {}", node.current_pad(), node.current_sequence());
  }
  return text;
}

[[noreturn]] void throw_node_error(const Node& node) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(node.error);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  try {
    std::rethrow_exception(node.error);
  } catch (...) {
    if (node.placement() == Placement::Main) {
      std::throw_with_nested(ElementError(node.name(), fmt::format("{}: {}", where(node), what)));
    }
    std::throw_with_nested(
        WorkerError(node.name(), fmt::format("{}: worker stopped before EOS: {}", where(node), what)));
  }
}

std::shared_ptr<RunState> build(Pipeline::Impl& impl) {
  auto state = std::make_shared<RunState>();
  const auto order = impl.topological_order();
  std::vector<Node*> node_of(impl.entries.size(), nullptr);
  std::vector<std::size_t> position(impl.entries.size(), 0);
  for (std::size_t index : order) {
    position[index] = state->nodes.size();
    auto& entry = impl.entries[index];
    auto node = std::make_unique<Node>(std::move(entry.element), entry.placement, state->control);
    if (entry.placement != Placement::Main) node->use_own_waker();
    const Element& e = node->element();
    for (const auto& pad : e.inputs()) node->inputs.push_back({pad.name, e.name() + ":" + pad.name});
    for (const auto& pad : e.outputs()) {
      node->outputs.push_back({pad.name, e.name() + ":" + pad.name, {}, nullptr});
    }
    node_of[index] = node.get();
    state->nodes.push_back(std::move(node));
  }
  for (const auto& [name, bytes] : impl.shared) state->shared.emplace(name, std::span<const std::byte>(bytes));
  for (auto& node : state->nodes) node->share(&state->shared);
  std::vector<LinkPlan> plans;
  for (const auto& link : impl.links) {
    plans.push_back({position[link.from], link.from_pad, position[link.to], link.to_pad});
  }
  std::vector<LinkPlan> local_links;
  const bool process_mode = std::any_of(state->nodes.begin(), state->nodes.end(),
                                        [](const auto& n) { return n->placement() == Placement::Process; });
  if (process_mode) {
    std::vector<Node*> nodes;
    for (auto& node : state->nodes) nodes.push_back(node.get());
    state->group = std::make_unique<ProcessGroup>(std::move(nodes), plans, state->control,
                                                  impl.options.queue_maxsize, state->shared, local_links);
  } else {
    local_links = plans;
  }
  for (const auto& link : local_links) {
    Node& producer = *state->nodes[link.producer];
    Node& consumer = *state->nodes[link.consumer];
    auto channel = std::make_unique<SpscChannel>(impl.options.queue_maxsize);
    channel->set_wakers(&consumer.waker(), &producer.waker());
    producer.outputs[link.from_pad].channels.push_back(channel.get());
    consumer.inputs[link.to_pad].channel = channel.get();
    state->channels.push_back(std::move(channel));
  }
  for (auto& node : state->nodes) {
    for (auto& out : node->outputs) {
      if (out.allocator) continue;  // a shared-memory pad loans from its topic
      // Enough idle buffers for every queued frame plus the ones being worked on.
      auto pool = HeapFramePool::create(impl.options.queue_maxsize * out.channels.size() + 4);
      out.allocator = pool.get();
      state->pools.push_back(std::move(pool));
    }
  }
  state->control.all_wakers.push_back(state->control.main_waker);
  for (auto& node : state->nodes) {
    if (&node->waker() != state->control.main_waker) state->control.all_wakers.push_back(&node->waker());
  }
  return state;
}

bool all_workers_done(const RunState& state) {
  return std::all_of(state.workers.begin(), state.workers.end(),
                     [](const auto& w) { return w->done.load(std::memory_order_acquire); });
}

// Main-placed nodes: one pass in topological order. Returns whether any moved.
bool step_main_nodes(RunState& state) {
  bool progress = false;
  for (auto& node : state.nodes) {
    if (node->placement() != Placement::Main || node->finished()) continue;
    for (int k = 0; k < kStepsPerVisit; ++k) {
      if (state.control.stop_requested.load(std::memory_order_relaxed)) return progress;
      StepResult result;
      try {
        result = node->step();
      } catch (...) {
        node->error = std::current_exception();
        state.control.failed.store(true);
        return true;
      }
      if (result == StepResult::Progress) {
        progress = true;
        continue;
      }
      if (result == StepResult::Done) {
        node->finish();
        node->close_outputs();
        progress = true;
      }
      break;
    }
  }
  return progress;
}

// True once every sink has ended, by EOS or by ending early.
bool sinks_ended(const RunState& state) {
  return std::all_of(state.nodes.begin(), state.nodes.end(),
                     [](const auto& n) { return !n->outputs.empty() || n->ended(); });
}

bool main_nodes_finished(const RunState& state) {
  return std::all_of(state.nodes.begin(), state.nodes.end(), [](const auto& n) {
    return n->placement() != Placement::Main || n->finished();
  });
}

}  // namespace

RunReport execute(Pipeline::Impl& impl) {
  const auto started = std::chrono::steady_clock::now();
  std::shared_ptr<RunState> state = build(impl);
  RunControl& control = state->control;
  const auto join_timeout = impl.options.join_timeout;

  struct ActiveScope {
    Pipeline::Impl& impl;
    ActiveScope(Pipeline::Impl& i, RunControl& c) : impl(i) { impl.active.store(&c); }
    ~ActiveScope() { impl.active.store(nullptr); }
  } active(impl, control);
  std::optional<SignalGuard> signals;
  if (impl.options.handle_signals) signals.emplace(control);
  ProcessGroup* group = state->group.get();
  if (group) {
    // Workers connect before anything local may publish: a frame sent to a
    // topic nobody has subscribed to yet would be lost.
    group->launch(std::chrono::milliseconds(10000));
  }

  {
    ScopedSignalBlock block;  // worker threads inherit it: signals go to this thread
    for (auto& node : state->nodes) {
      if (node->placement() != Placement::Thread) continue;
      auto worker = std::make_unique<Worker>();
      worker->node = node.get();
      worker->thread = std::thread(worker_main, state, worker.get());
      state->workers.push_back(std::move(worker));
    }
  }

  for (auto& node : state->nodes) {
    if (node->placement() != Placement::Main) continue;
    try {
      node->start();
    } catch (...) {
      node->error = std::current_exception();
      control.failed.store(true);
      break;
    }
  }

  std::optional<std::chrono::steady_clock::time_point> drain_deadline;
  std::string drain_stragglers;  // named when a shutdown drain outlived the join timeout
  ProgressTicker progress_ticker(impl.options, control, started);
  auto everything_done = [&] {
    return main_nodes_finished(*state) && all_workers_done(*state) && (!group || group->all_exited());
  };
  // After a few idle passes the main thread announces itself as a waiter, looks at
  // everything once more, and only then sleeps (so no notify is lost, and none costs
  // anything while frames flow).
  std::optional<Waker::Ticket> ticket;
  int idle_passes = 0;
  // Whether everything reached its end before a stop, failure or drain timeout
  // ended the loop: workers that quit on a stop look the same afterwards.
  bool ran_to_end = false;
  while (!control.failed.load() && !control.stop_requested.load()) {
    const bool moved = step_main_nodes(*state);
    if (group) group->poll();
    progress_ticker.tick();
    if (control.failed.load()) break;
    if (everything_done()) {
      ran_to_end = true;
      break;
    }
    if (!control.eos_requested.load() && sinks_ended(*state)) {
      // Nobody consumes any more: let the sources end so upstream drains and stops.
      control.eos_requested.store(true);
      control.notify_all();
    }
    if (control.eos_requested.load() && !drain_deadline) {
      drain_deadline = std::chrono::steady_clock::now() + join_timeout;
      if (group) group->request_shutdown();  // sources in workers end with EOS too
    }
    if (drain_deadline && std::chrono::steady_clock::now() > *drain_deadline) {
      for (auto& node : state->nodes) {
        const bool done = node->placement() == Placement::Main
                              ? node->finished()
                              : std::any_of(state->workers.begin(), state->workers.end(), [&](const auto& w) {
                                  return w->node == node.get() && w->done.load();
                                });
        if (!done) drain_stragglers += (drain_stragglers.empty() ? "'" : ", '") + node->name() + "'";
      }
      break;
    }
    if (moved) {
      ticket.reset();
      idle_passes = 0;
    } else if (ticket) {
      ticket->wait(kIdleWait);
      ticket.reset();
      idle_passes = 0;
    } else if (++idle_passes >= Waker::kPollsBeforeAnnouncing) {
      ticket.emplace(*control.main_waker);
    } else {
      Waker::relax();
    }
  }
  ticket.reset();

  // Teardown: stop whatever still runs, wait for workers up to the join timeout.
  const bool drained = ran_to_end && !control.failed.load();
  if (!drained) {
    control.stop_requested.store(true);
    control.notify_all();
  }
  const auto join_deadline = std::chrono::steady_clock::now() + join_timeout;
  while (!all_workers_done(*state) && std::chrono::steady_clock::now() < join_deadline) {
    Waker::Ticket joining = control.main_waker->prepare_wait();
    if (all_workers_done(*state)) break;
    joining.wait(std::chrono::milliseconds(10));
  }
  std::vector<const Node*> stuck;
  for (auto& worker : state->workers) {
    if (worker->done.load(std::memory_order_acquire)) {
      worker->thread.join();
    } else {
      stuck.push_back(worker->node);
      worker->thread.detach();  // it keeps `state` alive; nothing it uses is freed
    }
  }
  for (auto& node : state->nodes) {
    if (node->placement() != Placement::Main) continue;
    node->finish();
    node->close_outputs();
  }
  std::vector<std::string> killed;
  if (group) killed = group->end_workers(false, join_timeout);
  signals.reset();

  RunReport report;
  report.elapsed = std::chrono::steady_clock::now() - started;
  report.stopped = !drained && drain_stragglers.empty() && !control.failed.load();
  report.interrupted = control.interrupted.load();

  const bool any_stuck = !stuck.empty();
  if (!any_stuck) {
    // Frames still queued were never consumed: count them against their consumer.
    for (auto& node : state->nodes) {
      if (node->placement() == Placement::Process) continue;  // its worker counted them
      for (auto& in : node->inputs) {
        Frame frame;
        while (in.channel && in.channel->try_pop(frame)) {
          if (!frame.eos()) ++node->discarded();
        }
      }
    }
  }
  if (!any_stuck) {
    for (auto& node : state->nodes) report.elements.push_back(node->stats());
    if (group) group->fill_stats(report.elements);
    std::sort(report.elements.begin(), report.elements.end(), [&](const auto& a, const auto& b) {
      return impl.index_of(a.name) < impl.index_of(b.name);
    });
    for (auto& node : state->nodes) {
      const std::size_t index = impl.index_of(node->name());
      impl.entries[index].element = node->release_element();
    }
  }

  for (auto& node : state->nodes) {
    // A stuck worker may still write its node: only nodes known to be done are read.
    const bool is_stuck = std::find(stuck.begin(), stuck.end(), node.get()) != stuck.end();
    if (!is_stuck && node->error) throw_node_error(*node);
  }
  if (group) {
    std::string element;
    if (std::exception_ptr error = group->first_error(element)) {
      const Node* node = nullptr;
      for (auto& n : state->nodes) {
        if (n->name() == element) node = n.get();
      }
      std::string what;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        what = e.what();
      }
      try {
        std::rethrow_exception(error);
      } catch (...) {
        std::throw_with_nested(WorkerError(
            element, node ? fmt::format("element '{}' (process, pid {}): worker stopped before EOS: {}", element,
                                        node->pid(), what)
                          : what));
      }
    }
  }
  if (!killed.empty()) {
    std::string names;
    for (const auto& k : killed) names += (names.empty() ? "" : ", ") + k;
    throw JoinTimeoutError(killed.front(), fmt::format("element(s) {} did not end within {} ms of being asked to "
                                                       "stop and were killed",
                                                       names, join_timeout.count()));
  }
  if (any_stuck) {
    std::string names;
    for (const Node* node : stuck) names += (names.empty() ? "" : ", ") + fmt::format("'{}'", node->name());
    throw JoinTimeoutError(stuck.front()->name(),
                           fmt::format("element(s) {} did not end within {} ms of being asked to stop", names,
                                       join_timeout.count()));
  }
  if (!drain_stragglers.empty()) {
    throw JoinTimeoutError(drain_stragglers, fmt::format("element(s) {} did not drain within {} ms of the shutdown request",
                                                         drain_stragglers, join_timeout.count()));
  }
  return report;
}

}  // namespace sgn::detail
