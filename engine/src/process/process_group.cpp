#include "process/process_group.hpp"

#include <capnp/message.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "common/posix_error.hpp"
#include "process/iox_runtime.hpp"
#include "process/iox_service.hpp"
#include "process/process_runtime.hpp"
#include "process/worker_launcher.hpp"
#include "roudi/run_record.hpp"
#include "sgn/error.hpp"
#include "sgn/logging.hpp"

namespace sgn::detail {
namespace {

// Without a pidfd of RouDi (one nobody here started), its socket is probed this often.
constexpr int kRoudiProbeMs = 50;
constexpr auto kTermGrace = std::chrono::milliseconds(1000);
// After RouDi died, how long workers get to see STOP and leave. One that asked RouDi for a
// port just before never gets its answer (iceoryx waits for it without a limit), and it
// defers SIGTERM inside that call: it is killed.
constexpr auto kJoinWithoutRoudi = std::chrono::milliseconds(1000);

std::string topic_of(const std::vector<Node*>& nodes, std::size_t producer, std::size_t pad) {
  const Node& node = *nodes[producer];
  return service_event(producer, pad, node.name(), node.outputs[pad].pad);
}

std::string kind_name(schema::ErrorKind kind) {
  switch (kind) {
    case schema::ErrorKind::EXCEPTION: return "exception";
    case schema::ErrorKind::BAD_INPUT: return "badInput";
    case schema::ErrorKind::FRAME_OVERFLOW: return "frameOverflow";
    case schema::ErrorKind::TRANSPORT: return "transport";
    case schema::ErrorKind::INTERNAL: return "internal";
  }
  return "internal";
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

}  // namespace

ProcessGroup::ProcessGroup(std::vector<Node*> nodes, const std::vector<LinkPlan>& links, RunControl& control,
                           std::size_t queue_maxsize, const SharedTable& shared, std::vector<LinkPlan>& local_links,
                           const std::function<bool()>& cancelled)
    : nodes_(std::move(nodes)), control_(control), queue_maxsize_(queue_maxsize), links_(links) {
  ProcessRuntime& runtime = ProcessRuntime::instance();
  runtime.ensure_main(cancelled);
  mempools_ = runtime.mempools();
  static std::atomic<int> next_instance{0};
  instance_ = fmt::format("{}.{}", process_token(), next_instance.fetch_add(1));
  main_index_ = static_cast<std::uint32_t>(nodes_.size());
  block_ = ControlBlock::create("/sgn." + instance_ + ".ctl", main_index_ + 1, static_cast<std::uint32_t>(links.size()));

  for (const auto& [name, data] : shared) {
    ShmSegment segment = ShmSegment::create(fmt::format("/sgn.{}.shared{}", instance_, shared_.size()), data.size());
    if (!data.empty()) std::memcpy(segment.data(), data.data(), data.size());
    shared_.emplace_back(name, std::move(segment));
  }
  control_.main_waker = &block_.waker(main_index_);
  auto waker_of = [&](std::size_t node) -> Waker* {
    return nodes_[node]->placement() == Placement::Main ? control_.main_waker
                                                         : &block_.waker(static_cast<std::uint32_t>(node));
  };
  for (std::size_t i = 0; i < nodes_.size(); ++i) nodes_[i]->use_waker(waker_of(i));

  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw posix_error("eventfd", "process supervisor", errno);
  control_.wake_fd.store(wake_fd_);

  commands_ = std::make_unique<ControlTopic>(instance_, "command", ControlTopic::Role::Publish);
  status_ = std::make_unique<ControlTopic>(instance_, "status", ControlTopic::Role::Subscribe);

  // One topic per output pad that touches a worker process; everything else stays in memory.
  std::map<std::pair<std::size_t, std::size_t>, std::vector<std::size_t>> pads;
  for (std::size_t l = 0; l < links.size(); ++l) pads[{links[l].producer, links[l].from_pad}].push_back(l);
  auto is_remote = [&](const std::pair<std::size_t, std::size_t>& pad, const std::vector<std::size_t>& link_indices) {
    bool remote = nodes_[pad.first]->placement() == Placement::Process;
    for (std::size_t l : link_indices) remote = remote || nodes_[links[l].consumer]->placement() == Placement::Process;
    return remote;
  };
  link_remote_.assign(links.size(), false);
  for (const auto& [pad, link_indices] : pads) {
    const bool remote = is_remote(pad, link_indices);
    publishers_ += remote ? 1 : 0;
    for (std::size_t l : link_indices) link_remote_[l] = remote;
  }
  for (const auto& [pad, link_indices] : pads) {
    Node& producer = *nodes_[pad.first];
    if (!is_remote(pad, link_indices)) {
      for (std::size_t l : link_indices) local_links.push_back(links[l]);
      continue;
    }
    const Topic topic{instance_, topic_of(nodes_, pad.first, pad.second)};
    if (producer.placement() != Placement::Process) {
      std::vector<IoxOutput::Link> out_links;
      for (std::size_t l : link_indices) out_links.push_back({static_cast<std::uint32_t>(l), waker_of(links[l].consumer)});
      outputs_.push_back(std::make_unique<IoxOutput>(topic, block_, std::move(out_links), queue_maxsize_, mempools_,
                                                     publishers_, [this] { return control_.ending_after_commands(); }));
      producer.outputs[pad.second].senders = {outputs_.back().get()};
      producer.outputs[pad.second].allocator = outputs_.back().get();
    }
    for (std::size_t l : link_indices) {
      Node& consumer = *nodes_[links[l].consumer];
      if (consumer.placement() == Placement::Process) continue;
      auto& in = consumer.inputs[links[l].to_pad];
      inputs_.push_back(std::make_unique<IoxInput>(topic, block_, static_cast<std::uint32_t>(l), waker_of(pad.first),
                                                   queue_maxsize_, in.what));
      in.receiver = inputs_.back().get();
    }
  }
}

ProcessGroup::~ProcessGroup() {
  quit_.store(true);
  wake_supervisor();
  if (supervisor_.joinable()) supervisor_.join();
  for (Worker& w : workers_) {
    if (!w.exited && w.pid > 0) {
      // Only after a failure to end them in end_workers (or an exception before it).
      ::syscall(SYS_pidfd_send_signal, w.pidfd, SIGKILL, nullptr, 0);
      ::waitpid(w.pid, &w.wait_status, 0);
      block_.mark_poisoned();
      mark_iox_poisoned();
      ProcessRuntime::instance().note_unclean_exit(runtime_name(w.index));
    }
    if (w.pidfd >= 0) ::close(w.pidfd);
  }
  // Every worker is gone: frames main forwarded by reference have no reader left, and
  // they hold chunks of main's inputs, which go first.
  for (auto& out : outputs_) out->drop_forwards();
  if (block_.poisoned()) {
    // A worker may have died holding a port mutex of this instance: RouDi must never
    // touch the ports connected to it (see iox_runtime.hpp).
    for (auto& in : inputs_) in->abandon();
    if (status_) status_->abandon();
  }
  control_.withdraw_wake_fd();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::string ProcessGroup::runtime_name(std::size_t node) const {
  return fmt::format("sgn_{}_{}w{}", process_token(), instance_.substr(instance_.find('.') + 1), node);
}

void ProcessGroup::spawn_workers() {
  const std::string level(spdlog::level::to_string_view(log_level()).data(),
                          spdlog::level::to_string_view(log_level()).size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    Node& node = *nodes_[i];
    if (node.placement() != Placement::Process) continue;
    capnp::MallocMessageBuilder message;
    auto spec = message.initRoot<schema::WorkerSpec>();
    spec.setInstance(instance_);
    spec.setRuntimeName(runtime_name(i));
    spec.setElement(node.name());
    spec.setTypeName(node.element().type_name());
    const PropertyMap properties = node.element().properties().to_strings();
    auto props = spec.initProperties(static_cast<unsigned>(properties.size()));
    unsigned p = 0;
    for (const auto& [name, value] : properties) {
      props[p].setName(name);
      props[p].setValue(value);
      ++p;
    }
    spec.setQueueMaxsize(static_cast<std::uint32_t>(queue_maxsize_));
    spec.setSpinNs(static_cast<std::uint64_t>(node.spin().count()));
    spec.setNodeIndex(static_cast<std::uint32_t>(i));
    spec.setMainNodeIndex(main_index_);
    spec.setControlSegment(block_.name());
    spec.setLogLevel(level);
    spec.setPublishers(static_cast<std::uint32_t>(publishers_));
    auto pools = spec.initMempools(static_cast<unsigned>(mempools_.pools.size()));
    for (unsigned k = 0; k < mempools_.pools.size(); ++k) {
      pools[k].setPayload(mempools_.pools[k].payload);
      pools[k].setCount(mempools_.pools[k].count);
    }
    auto shared = spec.initShared(static_cast<unsigned>(shared_.size()));
    for (unsigned k = 0; k < shared_.size(); ++k) {
      shared[k].setName(shared_[k].first);
      shared[k].setSegment(shared_[k].second.name());
    }
    auto node_index = [&](std::size_t n) {
      return nodes_[n]->placement() == Placement::Main ? main_index_ : static_cast<std::uint32_t>(n);
    };
    std::vector<std::size_t> ins;
    for (std::size_t l = 0; l < links_.size(); ++l) {
      if (links_[l].consumer == i) ins.push_back(l);
    }
    // In pad order, as outputs are: a worker's port k is the element's pad k.
    std::sort(ins.begin(), ins.end(), [&](std::size_t a, std::size_t b) { return links_[a].to_pad < links_[b].to_pad; });
    auto inputs = spec.initInputs(static_cast<unsigned>(ins.size()));
    for (unsigned k = 0; k < ins.size(); ++k) {
      const LinkPlan& link = links_[ins[k]];
      inputs[k].setPad(node.inputs[link.to_pad].pad);
      inputs[k].setService(topic_of(nodes_, link.producer, link.from_pad));
      inputs[k].setLink(static_cast<std::uint32_t>(ins[k]));
      inputs[k].setProducerNode(node_index(link.producer));
    }
    auto outputs = spec.initOutputs(static_cast<unsigned>(node.outputs.size()));
    for (unsigned k = 0; k < node.outputs.size(); ++k) {
      std::vector<std::size_t> outs;
      for (std::size_t l = 0; l < links_.size(); ++l) {
        if (links_[l].producer == i && links_[l].from_pad == k) outs.push_back(l);
      }
      outputs[k].setPad(node.outputs[k].pad);
      outputs[k].setService(topic_of(nodes_, i, k));
      auto link_list = outputs[k].initLinks(static_cast<unsigned>(outs.size()));
      auto consumer_list = outputs[k].initConsumerNodes(static_cast<unsigned>(outs.size()));
      for (unsigned j = 0; j < outs.size(); ++j) {
        link_list.set(j, static_cast<std::uint32_t>(outs[j]));
        consumer_list.set(j, node_index(links_[outs[j]].consumer));
      }
    }
    const LaunchedWorker launched = launch_worker(message, node.name(), wake_fd_);
    Worker worker;
    worker.node = &node;
    worker.index = static_cast<std::uint32_t>(i);
    worker.pid = launched.pid;
    worker.pidfd = launched.pidfd;
    node.set_pid(launched.pid);
    std::lock_guard lock(mutex_);
    workers_.push_back(worker);
  }
}

bool ProcessGroup::launch(std::chrono::milliseconds timeout) {
  spawn_workers();
  roudi_pidfd_ = ProcessRuntime::instance().roudi().roudi_pidfd();
  supervisor_ = std::thread([this] { supervise(); });

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto connected = [&] {
    {
      std::lock_guard lock(mutex_);
      for (const Worker& w : workers_) {
        if (!w.ready) return false;
      }
    }
    for (const auto& in : inputs_) {
      if (!in->connected()) return false;
    }
    return true;
  };
  while (true) {
    Waker::Ticket ticket = control_.main_waker->prepare_wait();
    if (control_.ending() || control_.eos_requested.load()) return false;  // abandoned: the caller ends the workers
    if (connected()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      std::string names;
      std::lock_guard lock(mutex_);
      for (const Worker& w : workers_) {
        if (!w.ready) names += (names.empty() ? "'" : ", '") + w.node->name() + "'";
      }
      throw Error(fmt::format("worker(s) {} did not connect within {} ms", names.empty() ? "(main side)" : names,
                              timeout.count()));
    }
    ticket.wait(std::chrono::milliseconds(10));
  }
  start_requested_.store(true);
  wake_supervisor();
  return true;
}

void ProcessGroup::wake_supervisor() noexcept {
  if (wake_fd_ < 0) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

// The supervisor thread: everything that must not wait for the main loop.
void ProcessGroup::supervise() {
  std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
  std::vector<Worker*> watched;  // fds[i + 1] belongs to watched[i]
  {
    std::lock_guard lock(mutex_);
    for (Worker& w : workers_) {
      fds.push_back({w.pidfd, POLLIN, 0});
      watched.push_back(&w);
    }
  }
  const std::size_t roudi_slot = fds.size();
  if (roudi_pidfd_ >= 0) fds.push_back({roudi_pidfd_, POLLIN, 0});
  bool roudi_reported = false;
  auto log = logger("supervisor");
  while (!quit_.load()) {
    for (auto& fd : fds) fd.revents = 0;
    ::poll(fds.data(), fds.size(), roudi_pidfd_ >= 0 ? -1 : kRoudiProbeMs);
    std::uint64_t count = 0;
    while (::read(wake_fd_, &count, sizeof count) > 0) {
    }
    try {
      read_statuses();
      {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < watched.size(); ++i) {
          if (fds[i + 1].revents == 0) continue;
          reap(*watched[i]);
          if (watched[i]->exited) fds[i + 1].fd = -1;  // reported once
        }
      }
      const bool roudi_gone = roudi_pidfd_ >= 0 ? (fds[roudi_slot].revents != 0) : !ProcessRuntime::instance().roudi().alive();
      if (roudi_gone && !roudi_reported && exited_.load() < workers_.size()) {
        roudi_reported = true;
        roudi_died_.store(true);
        if (roudi_pidfd_ >= 0) fds[roudi_slot].fd = -1;
        // Nobody is left to unregister from: the exits of every process skip it.
        block_.mark_poisoned();
        mark_iox_poisoned();
        fail("roudi", std::make_exception_ptr(Error("RouDi died while the pipeline ran; shared memory is gone")));
      }
      send_due_commands();
    } catch (const std::exception& e) {
      // The control topics themselves failed: the run cannot be coordinated any more.
      log->error("{}", e.what());
      fail("supervisor", std::current_exception());
    }
    control_.main_waker->notify();
    if (closing_.load() && all_exited()) break;
  }
}

void ProcessGroup::read_statuses() {
  status_->poll([&](capnp::MessageReader& message) {
    auto status = message.getRoot<schema::Status>();
    std::lock_guard lock(mutex_);
    Worker* w = nullptr;
    for (Worker& candidate : workers_) {
      if (candidate.node->name() == status.getElement().cStr()) w = &candidate;
    }
    if (!w) return;
    switch (status.which()) {
      case schema::Status::READY: w->ready = true; break;
      case schema::Status::EOS_REACHED: break;
      case schema::Status::TERMINATED: {
        auto t = status.getTerminated();
        w->terminated = true;
        w->copies = t.getCopies();
        w->latency_p50_us = t.getLatencyP50Us();
        w->latency_p99_us = t.getLatencyP99Us();
        break;
      }
      case schema::Status::ERROR: {
        auto e = status.getError();
        errors_.emplace_back(w->node->name(),
                             std::make_exception_ptr(RemoteError(e.getElement(), kind_name(e.getKind()), e.getType(),
                                                                 fmt::format("{} ({}): {}", e.getType().cStr(),
                                                                             kind_name(e.getKind()),
                                                                             e.getMessage().cStr()))));
        control_.failed.store(true);
        control_.notify_all();
        break;
      }
    }
  });
}

void ProcessGroup::reap(Worker& w) {
  if (w.exited || ::waitpid(w.pid, &w.wait_status, WNOHANG) != w.pid) return;
  w.exited = true;
  // A process killed by a signal may have held a port mutex (iceoryx 2.0's are not
  // robust). The ladder's SIGTERM is handled by the worker outside iceoryx calls.
  const bool died_inside = WIFSIGNALED(w.wait_status) && !(w.signal_sent == SIGTERM && WTERMSIG(w.wait_status) == SIGTERM);
  if (died_inside) {
    block_.mark_poisoned();
    mark_iox_poisoned();
  }
  if (WIFSIGNALED(w.wait_status)) ProcessRuntime::instance().note_unclean_exit(runtime_name(w.index));
  exited_.fetch_add(1, std::memory_order_release);
  // Its last status was published before it exited, so read_statuses() just before
  // this (in the same supervisor pass) has seen it.
  const bool clean = WIFEXITED(w.wait_status) && WEXITSTATUS(w.wait_status) == 0 && w.terminated;
  const bool reported = std::any_of(errors_.begin(), errors_.end(), [&](const auto& e) { return e.first == w.node->name(); });
  if (!clean && !reported && !w.ended_by_us) {
    errors_.emplace_back(w.node->name(),
                         std::make_exception_ptr(RemoteError(
                             w.node->name(), "internal", "",
                             fmt::format("worker process (pid {}) {} before EOS", w.pid, describe_exit(w.wait_status)))));
    control_.failed.store(true);
    control_.notify_all();
  }
}

void ProcessGroup::fail(const std::string& element, std::exception_ptr error) {
  {
    std::lock_guard lock(mutex_);
    errors_.emplace_back(element, std::move(error));
  }
  control_.failed.store(true);
  control_.notify_all();
}

void ProcessGroup::send(schema::Command::Which command) {
  std::uint32_t bit = 0;
  commands_->publish([&](capnp::MessageBuilder& m) {
    auto c = m.initRoot<schema::Command>();
    switch (command) {
      case schema::Command::STOP: c.setStop(), bit = kCommandStop; break;
      case schema::Command::SHUTDOWN: c.setShutdown(), bit = kCommandShutdown; break;
      case schema::Command::START: c.setStart(), bit = kCommandStart; break;
    }
  });
  for (const Worker& w : workers_) {
    // The bit is what the worker acts on (taken at its next step); the topic's message
    // reaches only a worker that had subscribed.
    block_.commands(w.index).fetch_or(bit, std::memory_order_release);
    block_.waker(w.index).notify();
  }
}

void ProcessGroup::send_due_commands() {
  if (start_requested_.load() && !sent_start_) {
    sent_start_ = true;
    send(schema::Command::START);
  }
  if (control_.ending() && !sent_stop_) {
    sent_stop_ = true;
    send(schema::Command::STOP);
  } else if (control_.eos_requested.load() && !sent_shutdown_ && !sent_stop_) {
    sent_shutdown_ = true;
    send(schema::Command::SHUTDOWN);
  }
}

bool ProcessGroup::wait_for_exits(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!all_exited()) {
    Waker::Ticket ticket = control_.main_waker->prepare_wait();
    if (all_exited()) break;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    ticket.wait(std::min<std::chrono::nanoseconds>(deadline - now, std::chrono::milliseconds(100)));
  }
  return true;
}

void ProcessGroup::signal_remaining(int signal_number, std::vector<ErrorSite>* signalled) {
  std::lock_guard lock(mutex_);
  for (Worker& w : workers_) {
    if (w.exited) continue;
    // By pidfd: an exited worker's pid could belong to someone else by now.
    ::syscall(SYS_pidfd_send_signal, w.pidfd, signal_number, nullptr, 0);
    w.ended_by_us = true;
    w.signal_sent = signal_number;
    if (signalled) signalled->push_back(ErrorSite{w.node->name(), Placement::Process, static_cast<long>(w.pid), {}, {}});
  }
}

std::vector<ErrorSite> ProcessGroup::end_workers(bool drained, std::chrono::milliseconds join_timeout) {
  if (!drained) control_.stop_requested.store(true);  // the supervisor sends STOP
  closing_.store(true);
  wake_supervisor();
  std::vector<ErrorSite> killed;
  if (!supervisor_.joinable()) return killed;  // never launched
  if (roudi_died_.load()) {
    if (!wait_for_exits(std::min(join_timeout, kJoinWithoutRoudi))) {
      // Nothing of RouDi's is left to keep consistent: no SIGTERM first.
      signal_remaining(SIGKILL, &killed);
      wait_for_exits(kTermGrace);
    }
  } else if (!wait_for_exits(join_timeout)) {
    signal_remaining(SIGTERM, &killed);
    if (!wait_for_exits(kTermGrace)) {
      signal_remaining(SIGKILL, nullptr);
      wait_for_exits(kTermGrace);  // a SIGKILLed process is reaped at once unless the kernel holds it
    }
  }
  quit_.store(true);
  wake_supervisor();
  supervisor_.join();
  return killed;
}

std::exception_ptr ProcessGroup::first_error(std::string& element) const {
  std::lock_guard lock(mutex_);
  if (errors_.empty()) return nullptr;
  element = errors_.front().first;
  return errors_.front().second;
}

void ProcessGroup::fill_stats(std::vector<ElementStats>& stats) const {
  std::lock_guard lock(mutex_);
  for (const Worker& w : workers_) {
    for (ElementStats& s : stats) {
      if (s.name != w.node->name()) continue;
      const NodeCounters& c = block_.counters(w.index);
      s.placement = Placement::Process;
      s.pid = w.pid;
      s.frames_in = c.frames_in.load();
      s.frames_out = c.frames_out.load();
      s.bytes_in = c.bytes_in.load();
      s.bytes_out = c.bytes_out.load();
      s.gaps = c.gaps.load();
      s.discarded = c.discarded.load();
      s.copies = std::max(w.copies, c.copies.load());  // a worker that died sent no totals
      s.latency_p50_us = w.latency_p50_us;
      s.latency_p99_us = w.latency_p99_us;
    }
  }
}

std::vector<const NodeCounters*> ProcessGroup::sink_counters() const {
  std::vector<const NodeCounters*> out;
  for (const Worker& w : workers_) {
    if (w.node->outputs.empty()) out.push_back(&block_.counters(w.index));
  }
  return out;
}

std::vector<std::pair<std::size_t, std::uint64_t>> ProcessGroup::in_flight() const {
  std::map<std::size_t, std::pair<std::uint64_t, std::uint64_t>> sent;  // consumer: (published, taken)
  for (std::uint32_t l = 0; l < links_.size(); ++l) {
    if (!link_remote_[l]) continue;
    const LinkCounters& c = block_.link(l);
    auto& [published, taken] = sent[links_[l].consumer];
    published += c.data_published.load();
    taken += c.data_consumed.load();
  }
  std::vector<std::pair<std::size_t, std::uint64_t>> lost;
  for (auto [consumer, counts] : sent) {
    auto [published, taken] = counts;
    if (nodes_[consumer]->placement() == Placement::Process) {
      // A worker counts a frame in just after its input took it: one killed in between
      // took a frame it never counted. What it counted (in, or discarded) is what it got.
      const NodeCounters& n = block_.counters(static_cast<std::uint32_t>(consumer));
      taken = std::min(taken, n.frames_in.load() + n.discarded.load());
    }
    if (published > taken) lost.emplace_back(consumer, published - taken);
  }
  return lost;
}

}  // namespace sgn::detail
