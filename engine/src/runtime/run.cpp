// Running a validated pipeline: main-placed elements are stepped by this thread,
// thread-placed ones each by a worker thread, process-placed ones each by a worker
// process (ProcessGroup); all of them through the same StepLoop. All links are
// bounded lossless channels. Errors are caught in exactly one place, the StepLoop,
// and surface from run() named and nested.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "frames/heap_frame_pool.hpp"
#include "graph/node.hpp"
#include "graph/pipeline_graph.hpp"
#include "process/process_group.hpp"
#include "roudi/roudi_supervisor.hpp"
#include "runtime/progress_ticker.hpp"
#include "runtime/signal_guard.hpp"
#include "runtime/step_loop.hpp"
#include "sgn/error.hpp"
#include "thread/spsc_channel.hpp"

namespace sgn::detail {
namespace {

constexpr auto kLaunchTimeout = std::chrono::milliseconds(10000);

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
  std::vector<std::unique_ptr<SpscChannel>> channels;
  std::vector<std::shared_ptr<HeapFramePool>> pools;
  std::vector<std::unique_ptr<Worker>> workers;
};

void worker_thread(std::shared_ptr<RunState> state, Worker* worker) {
  Node& node = *worker->node;
  StepLoop loop(state->control, node.waker(), {&node});
  if (loop.start()) {
    loop.run([&] { return StepLoop::Next{node.finished(), 0}; });
  }
  loop.finish_nodes();
  worker->done.store(true, std::memory_order_release);
  state->control.main_waker->notify();
}

// The element, placement and pid of `node`: safe while its worker still runs.
ErrorSite running_site_of(const Node& node) {
  return ErrorSite{node.name(), node.placement(), node.placement() == Placement::Process ? node.pid() : ::getpid(),
                   {}, std::nullopt};
}

// With the pad and frame being served: only for a node whose worker is done.
ErrorSite site_of(const Node& node) {
  ErrorSite site = running_site_of(node);
  site.pad = node.current_pad();
  if (!site.pad.empty()) site.sequence = node.current_sequence();
  return site;
}

std::string where(const ErrorSite& site) {
  std::string text = fmt::format("element '{}' ({})", site.element, to_string(*site.placement));
  if (site.sequence) text += fmt::format(", pad '{}', frame {}", site.pad, *site.sequence);
  return text;
}

/// "'a' (pid 12), 'b' (pid 13)", or without the pids "'a', 'b'".
std::string names_of(const std::vector<ErrorSite>& sites, bool with_pids) {
  std::vector<std::string> names;
  for (const ErrorSite& site : sites) {
    names.push_back(with_pids ? fmt::format("'{}' (pid {})", site.element, site.pid) : fmt::format("'{}'", site.element));
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

/// what() of the exception in `error`, or `otherwise` for one that is no std::exception.
std::string what_of(const std::exception_ptr& error, const char* otherwise) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return otherwise;
  }
}

[[noreturn]] void throw_node_error(const Node& node) {
  const std::string what = what_of(node.error, "unknown exception");
  try {
    std::rethrow_exception(node.error);
  } catch (...) {
    const ErrorSite site = site_of(node);
    if (node.placement() == Placement::Main) {
      std::throw_with_nested(ElementError(site, fmt::format("{}: {}", where(site), what)));
    }
    std::throw_with_nested(WorkerError(site, fmt::format("{}: worker stopped before EOS: {}", where(site), what)));
  }
}

void build_nodes(detail::PipelineGraph& impl, RunState& state, std::vector<LinkPlan>& plans) {
  const auto order = impl.topological_order();
  std::vector<std::size_t> position(impl.entries.size(), 0);
  for (std::size_t index : order) {
    position[index] = state.nodes.size();
    auto& entry = impl.entries[index];
    auto node = std::make_unique<Node>(std::move(entry.element), entry.placement, state.control);
    if (entry.placement != Placement::Main) node->use_own_waker();
    node->set_spin(entry.spin.value_or(impl.options.spin));
    const Element& e = node->element();
    for (const auto& pad : e.inputs()) node->inputs.push_back({pad.name, e.name() + ":" + pad.name});
    for (const auto& pad : e.outputs()) {
      node->outputs.push_back({pad.name, e.name() + ":" + pad.name, {}, nullptr});
    }
    state.nodes.push_back(std::move(node));
  }
  for (const auto& [name, bytes] : impl.shared) state.shared.emplace(name, std::span<const std::byte>(bytes));
  for (auto& node : state.nodes) node->share(&state.shared);
  for (const auto& link : impl.links) {
    plans.push_back({position[link.from], link.from_pad, position[link.to], link.to_pad});
  }
}

// Connects the links; in process mode first attaches to (or starts) RouDi, which
// `cancelled` may abandon (StartCancelled).
void connect(detail::PipelineGraph& impl, RunState& state, const std::vector<LinkPlan>& plans) {
  std::vector<LinkPlan> local_links;
  const bool process_mode = std::any_of(state.nodes.begin(), state.nodes.end(),
                                        [](const auto& n) { return n->placement() == Placement::Process; });
  if (process_mode) {
    std::vector<Node*> nodes;
    for (auto& node : state.nodes) nodes.push_back(node.get());
    RunControl& control = state.control;
    auto cancelled = [&control] { return control.ending() || control.eos_requested.load(); };
    state.group = std::make_unique<ProcessGroup>(std::move(nodes), plans, state.control, impl.options.queue_maxsize,
                                                 state.shared, local_links, cancelled);
  } else {
    local_links = plans;
  }
  for (const auto& link : local_links) {
    Node& producer = *state.nodes[link.producer];
    Node& consumer = *state.nodes[link.consumer];
    auto channel = std::make_unique<SpscChannel>(impl.options.queue_maxsize, impl.options.queue_max_bytes);
    channel->set_wakers(&consumer.waker(), &producer.waker());
    producer.outputs[link.from_pad].senders.push_back(channel.get());
    consumer.inputs[link.to_pad].receiver = channel.get();
    state.channels.push_back(std::move(channel));
  }
  for (auto& node : state.nodes) {
    for (auto& out : node->outputs) {
      if (out.allocator) continue;  // a shared-memory pad loans from its topic
      // Enough idle buffers for every queued frame plus the ones being worked on.
      auto pool = HeapFramePool::create(impl.options.queue_maxsize * out.senders.size() + 4);
      out.allocator = pool.get();
      state.pools.push_back(std::move(pool));
    }
  }
  state.control.all_wakers.add(state.control.main_waker);
  for (auto& node : state.nodes) {
    if (&node->waker() != state.control.main_waker) state.control.all_wakers.add(&node->waker());
  }
}

bool all_workers_done(const RunState& state) {
  return std::all_of(state.workers.begin(), state.workers.end(),
                     [](const auto& w) { return w->done.load(std::memory_order_acquire); });
}

// True once every sink has ended, by EOS or by ending early.
bool sinks_ended(const RunState& state) {
  return std::all_of(state.nodes.begin(), state.nodes.end(),
                     [](const auto& n) { return !n->outputs.empty() || n->ended(); });
}

std::vector<Node*> main_nodes(RunState& state) {
  std::vector<Node*> nodes;
  for (auto& node : state.nodes) {
    if (node->placement() == Placement::Main) nodes.push_back(node.get());
  }
  return nodes;
}

/// How the main loop ended.
struct LoopEnd {
  bool ran_to_end = false;                 // everything reached its end before a stop or failure
  std::vector<ErrorSite> drain_stragglers;  // a shutdown drain outlived the join timeout
};

// The main thread's StepLoop, and what only main does after each pass: progress,
// ending the sources once every sink has ended, the drain deadline.
LoopEnd run_main_loop(detail::PipelineGraph& impl, RunState& state, std::chrono::steady_clock::time_point started) {
  RunControl& control = state.control;
  ProcessGroup* group = state.group.get();
  const auto join_timeout = impl.options.join_timeout;
  ProgressTicker progress_ticker(impl.options, control, started,
                                 group ? group->sink_counters() : std::vector<const NodeCounters*>{});
  StepLoop loop(control, *control.main_waker, main_nodes(state));
  LoopEnd end;
  if (!loop.start()) return end;
  std::int64_t drain_deadline = 0;
  loop.run([&] {
    progress_ticker.tick();
    if (loop.finished() && all_workers_done(state) && (!group || group->all_exited())) {
      end.ran_to_end = true;
      return StepLoop::Next{true, 0};
    }
    if (!control.eos_requested.load() && sinks_ended(state)) {
      // Nobody consumes any more: let the sources end so upstream drains and stops.
      control.eos_requested.store(true);
      control.notify_all();
    }
    // The clock is read only while draining: this runs after every pass, idle ones included.
    if (control.eos_requested.load() && drain_deadline == 0) {
      drain_deadline = monotonic_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(join_timeout).count();
      control.notify_all();  // the supervisor sends the workers "shutdown"
    }
    if (drain_deadline != 0 && monotonic_ns() > drain_deadline) {
      for (auto& node : state.nodes) {
        const bool done = node->placement() == Placement::Main
                              ? node->finished()
                              : std::any_of(state.workers.begin(), state.workers.end(), [&](const auto& w) {
                                  return w->node == node.get() && w->done.load();
                                });
        if (!done) end.drain_stragglers.push_back(running_site_of(*node));
      }
      return StepLoop::Next{true, 0};
    }
    std::int64_t deadline = drain_deadline;
    if (const std::int64_t tick = progress_ticker.next_ns(); tick != 0) {
      deadline = deadline == 0 ? tick : std::min(deadline, tick);
    }
    return StepLoop::Next{false, deadline};
  });
  return end;
}

/// Frames still queued on in-memory channels, and those published on shared-memory
/// links but never taken, were sent and not taken in: discarded by their consumer.
void count_undelivered(RunState& state) {
  for (auto& node : state.nodes) {
    for (auto& in : node->inputs) {
      if (!in.receiver || dynamic_cast<SpscChannel*>(in.receiver) == nullptr) continue;
      Frame frame;
      while (in.receiver->try_pop(frame)) {
        if (!frame.eos() && !frame.gap()) node->add_discarded(1);
      }
    }
  }
}

/// How the workers ended.
struct Ending {
  bool drained = false;             // everything reached its end: nobody was stopped
  std::vector<const Node*> stuck;   // worker threads that did not end (detached)
  std::vector<ErrorSite> killed;  // worker processes the ladder killed
};

void start_worker_threads(const std::shared_ptr<RunState>& state) {
  ScopedSignalBlock block;  // worker threads inherit it: signals go to this thread
  for (auto& node : state->nodes) {
    if (node->placement() != Placement::Thread) continue;
    auto worker = std::make_unique<Worker>();
    worker->node = node.get();
    worker->thread = std::thread(worker_thread, state, worker.get());
    state->workers.push_back(std::move(worker));
  }
}

// Stops whatever still runs, waits for the workers up to the join timeout, ends the
// main-placed nodes and the worker processes.
Ending end_workers(detail::PipelineGraph& impl, RunState& state, const LoopEnd& end) {
  RunControl& control = state.control;
  const auto join_timeout = impl.options.join_timeout;
  Ending ending;
  ending.drained = end.ran_to_end && !control.failed.load();
  if (!ending.drained) {
    control.stop_requested.store(true);
    control.notify_all();
  }
  const auto join_deadline = std::chrono::steady_clock::now() + join_timeout;
  while (!all_workers_done(state) && std::chrono::steady_clock::now() < join_deadline) {
    Waker::Ticket joining = control.main_waker->prepare_wait();
    if (all_workers_done(state)) break;
    joining.wait(std::min<std::chrono::nanoseconds>(join_deadline - std::chrono::steady_clock::now(),
                                                    std::chrono::milliseconds(100)));
  }
  for (auto& worker : state.workers) {
    if (worker->done.load(std::memory_order_acquire)) {
      worker->thread.join();
    } else {
      ending.stuck.push_back(worker->node);
      worker->thread.detach();  // it keeps `state` alive; nothing it uses is freed
    }
  }
  for (auto& node : state.nodes) {
    if (node->placement() != Placement::Main) continue;
    node->finish();
    node->close_outputs();
  }
  if (state.group) ending.killed = state.group->end_workers(ending.drained, join_timeout);
  return ending;
}

void give_elements_back(detail::PipelineGraph& impl, RunState& state) {
  for (auto& node : state.nodes) impl.entries[impl.index_of(node->name())].element = node->release_element();
}

// What every element did (nothing while a stuck worker thread may still write its
// node); gives the elements back to the pipeline.
RunReport make_report(detail::PipelineGraph& impl, RunState& state, const LoopEnd& end, const Ending& ending,
                      std::chrono::steady_clock::time_point started) {
  RunReport report;
  report.elapsed = std::chrono::steady_clock::now() - started;
  report.stopped = !ending.drained && end.drain_stragglers.empty() && !state.control.failed.load();
  report.interrupted = state.control.interrupted.load();
  if (!ending.stuck.empty()) return report;
  count_undelivered(state);
  for (auto& node : state.nodes) report.elements.push_back(node->stats());
  if (state.group) {
    state.group->fill_stats(report.elements);
    for (const auto& [consumer, count] : state.group->in_flight()) {
      for (ElementStats& e : report.elements) {
        if (e.name == state.nodes[consumer]->name()) e.discarded += count;
      }
    }
  }
  std::sort(report.elements.begin(), report.elements.end(),
            [&](const auto& a, const auto& b) { return impl.index_of(a.name) < impl.index_of(b.name); });
  give_elements_back(impl, state);
  return report;
}

[[noreturn]] void throw_worker_process_error(const RunState& state, const std::string& element,
                                             std::exception_ptr error) {
  const Node* node = nullptr;
  for (const auto& n : state.nodes) {
    if (n->name() == element) node = n.get();
  }
  const std::string what = what_of(error, "");
  try {
    std::rethrow_exception(error);
  } catch (...) {
    if (!node) std::throw_with_nested(WorkerError(element, what));
    std::throw_with_nested(WorkerError(running_site_of(*node),
                                       fmt::format("element '{}' (process, pid {}): worker stopped before EOS: {}",
                                                   element, node->pid(), what)));
  }
}

// The run's first failure, in this order: an element's error, a worker process's
// error or death (or RouDi's), workers killed or stuck, a drain that timed out.
void throw_first_error(const detail::PipelineGraph& impl, const RunState& state, const LoopEnd& end, const Ending& ending) {
  const auto join_timeout = impl.options.join_timeout;
  for (const auto& node : state.nodes) {
    // A stuck worker may still write its node: only nodes known to be done are read.
    const bool is_stuck = std::find(ending.stuck.begin(), ending.stuck.end(), node.get()) != ending.stuck.end();
    if (!is_stuck && node->error) throw_node_error(*node);
  }
  if (state.group) {
    std::string element;
    if (std::exception_ptr error = state.group->first_error(element)) throw_worker_process_error(state, element, error);
  }
  if (!ending.killed.empty()) {
    throw JoinTimeoutError(ending.killed,
                           fmt::format("element(s) {} did not end within {} ms of being asked to stop and were killed",
                                       names_of(ending.killed, true), join_timeout.count()));
  }
  if (!ending.stuck.empty()) {
    std::vector<ErrorSite> sites;
    for (const Node* node : ending.stuck) sites.push_back(running_site_of(*node));
    throw JoinTimeoutError(sites, fmt::format("element(s) {} did not end within {} ms of being asked to stop",
                                              names_of(sites, false), join_timeout.count()));
  }
  if (!end.drain_stragglers.empty()) {
    throw JoinTimeoutError(end.drain_stragglers,
                           fmt::format("element(s) {} did not drain within {} ms of the shutdown request",
                                       names_of(end.drain_stragglers, false), join_timeout.count()));
  }
}

// Runs a validated pipeline.
RunReport execute(detail::PipelineGraph& impl) {
  const auto started = std::chrono::steady_clock::now();
  impl.last_report = RunReport{};
  auto state = std::make_shared<RunState>();
  RunControl& control = state->control;

  // Signals first: a Ctrl+C at any moment from here on (RouDi's start-up included)
  // has its effect. Requests made before run() are applied now.
  std::optional<SignalGuard> signals;
  if (impl.options.handle_signals) signals.emplace(control);
  struct ActiveScope {
    detail::PipelineGraph& impl;
    ActiveScope(detail::PipelineGraph& i, RunControl& c) : impl(i) { impl.activate(c); }
    ~ActiveScope() { impl.deactivate(); }
  } active(impl, control);
  if (signals) signals->count_requests_already_made();

  std::vector<LinkPlan> plans;
  build_nodes(impl, *state, plans);
  try {
    connect(impl, *state, plans);
  } catch (const StartCancelled&) {
    // Start-up abandoned by a signal or a request: nothing ran.
    RunReport report = make_report(impl, *state, LoopEnd{}, Ending{}, started);
    report.stopped = report.interrupted = true;
    impl.last_report = report;
    return report;
  } catch (...) {
    give_elements_back(impl, *state);
    throw;
  }
  bool launched = true;
  if (state->group) {
    // Workers connect before anything local may publish: a frame sent to a
    // topic nobody has subscribed to yet would be lost.
    try {
      launched = state->group->launch(kLaunchTimeout);
    } catch (...) {
      state->group->end_workers(false, impl.options.join_timeout);
      give_elements_back(impl, *state);
      throw;
    }
  }
  if (launched) start_worker_threads(state);

  const LoopEnd end = launched ? run_main_loop(impl, *state, started) : LoopEnd{};
  const Ending ending = end_workers(impl, *state, end);
  signals.reset();
  RunReport report = make_report(impl, *state, end, ending, started);
  impl.last_report = report;
  throw_first_error(impl, *state, end, ending);
  return report;
}

}  // namespace
}  // namespace sgn::detail

namespace sgn {

// Defined here, not with the rest of Pipeline (graph/): the one way from the graph
// into the runtime.
RunReport Pipeline::run() {
  validate();
  if (impl_->has_run) {
    // Fresh elements: a run leaves its elements in their end state.
    for (auto& entry : impl_->entries) entry.element = registry().make(entry.type_name, entry.name, entry.properties);
  }
  impl_->has_run = true;
  return detail::execute(*impl_);
}

}  // namespace sgn
