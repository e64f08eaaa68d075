#include "process/process_group.hpp"

#include <capnp/message.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "process/process_runtime.hpp"
#include "process/worker_launcher.hpp"
#include "sgn/error.hpp"
#include "sgn/logging.hpp"

namespace sgn::detail {
namespace {

std::string topic_of(const Node& producer, std::size_t pad) {
  return producer.name() + "." + producer.outputs[pad].pad;
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
                           std::size_t queue_maxsize, const SharedTable& shared,
                           std::vector<LinkPlan>& local_links)
    : nodes_(std::move(nodes)), control_(control), queue_maxsize_(queue_maxsize), links_(links) {
  ProcessRuntime& runtime = ProcessRuntime::instance();
  runtime.ensure_main();
  static std::atomic<int> next_instance{0};
  instance_ = fmt::format("{}_{}", ::getpid(), next_instance.fetch_add(1));
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
  for (const auto& [pad, link_indices] : pads) publishers_ += is_remote(pad, link_indices) ? 1 : 0;
  for (const auto& [pad, link_indices] : pads) {
    Node& producer = *nodes_[pad.first];
    if (!is_remote(pad, link_indices)) {
      for (std::size_t l : link_indices) local_links.push_back(links[l]);
      continue;
    }
    const Topic topic{instance_, topic_of(producer, pad.second)};
    if (producer.placement() != Placement::Process) {
      std::vector<IoxOutput::Link> out_links;
      for (std::size_t l : link_indices) out_links.push_back({static_cast<std::uint32_t>(l), waker_of(links[l].consumer)});
      outputs_.push_back(std::make_unique<IoxOutput>(topic, block_, std::move(out_links), queue_maxsize_,
                                                     runtime.mempools(), publishers_, &control_.stop_requested));
      producer.outputs[pad.second].channels = {outputs_.back().get()};
      producer.outputs[pad.second].allocator = outputs_.back().get();
    }
    for (std::size_t l : link_indices) {
      Node& consumer = *nodes_[links[l].consumer];
      if (consumer.placement() == Placement::Process) continue;
      auto& in = consumer.inputs[links[l].to_pad];
      inputs_.push_back(std::make_unique<IoxInput>(topic, block_, static_cast<std::uint32_t>(l), waker_of(pad.first),
                                                   queue_maxsize_, in.what));
      in.channel = inputs_.back().get();
    }
  }
}

ProcessGroup::~ProcessGroup() {
  watching_.store(false);
  if (watcher_.joinable()) watcher_.join();
  for (Worker& w : workers_) {
    if (!w.exited && w.pid > 0) {
      ::kill(w.pid, SIGKILL);
      ::waitpid(w.pid, &w.wait_status, 0);
      ProcessRuntime::instance().note_unclean_exit(w.pid);
    }
    if (w.pidfd >= 0) ::close(w.pidfd);
  }
}

void ProcessGroup::launch(std::chrono::milliseconds timeout) {
  const std::string level(spdlog::level::to_string_view(log_level()).data(),
                          spdlog::level::to_string_view(log_level()).size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    Node& node = *nodes_[i];
    if (node.placement() != Placement::Process) continue;
    capnp::MallocMessageBuilder message;
    auto spec = message.initRoot<schema::WorkerSpec>();
    spec.setInstance(instance_);
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
    spec.setNodeIndex(static_cast<std::uint32_t>(i));
    spec.setMainNodeIndex(main_index_);
    spec.setControlSegment(block_.name());
    spec.setLogLevel(level);
    spec.setPublishers(static_cast<std::uint32_t>(publishers_));
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
    auto inputs = spec.initInputs(static_cast<unsigned>(ins.size()));
    for (unsigned k = 0; k < ins.size(); ++k) {
      const LinkPlan& link = links_[ins[k]];
      inputs[k].setPad(node.inputs[link.to_pad].pad);
      inputs[k].setService(topic_of(*nodes_[link.producer], link.from_pad));
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
      outputs[k].setService(topic_of(node, k));
      auto link_list = outputs[k].initLinks(static_cast<unsigned>(outs.size()));
      auto consumer_list = outputs[k].initConsumerNodes(static_cast<unsigned>(outs.size()));
      for (unsigned j = 0; j < outs.size(); ++j) {
        link_list.set(j, static_cast<std::uint32_t>(outs[j]));
        consumer_list.set(j, node_index(links_[outs[j]].consumer));
      }
    }
    const LaunchedWorker launched = launch_worker(message, node.name());
    Worker worker;
    worker.node = &node;
    worker.index = static_cast<std::uint32_t>(i);
    worker.pid = launched.pid;
    worker.pidfd = launched.pidfd;
    worker.stats.pid = launched.pid;
    node.set_pid(launched.pid);
    workers_.push_back(worker);
  }
  watching_.store(true);
  watcher_ = std::thread([this] { watch_exits(); });

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto connected = [&] {
    for (const Worker& w : workers_) {
      if (!w.ready) return false;
    }
    for (const auto& in : inputs_) {
      if (!in->connected()) return false;
    }
    return true;
  };
  while (true) {
    Waker::Ticket ticket = control_.main_waker->prepare_wait();
    poll();
    if (control_.failed.load()) return;
    if (connected()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      std::string names;
      for (const Worker& w : workers_) {
        if (!w.ready) names += (names.empty() ? "'" : ", '") + w.node->name() + "'";
      }
      throw Error(fmt::format("worker(s) {} did not connect within {} ms", names.empty() ? "(main side)" : names,
                              timeout.count()));
    }
    ticket.wait(std::chrono::milliseconds(10));
  }
  send(schema::Command::START);
}

void ProcessGroup::watch_exits() {
  std::vector<pollfd> fds;
  for (const Worker& w : workers_) {
    if (w.pidfd >= 0) fds.push_back({w.pidfd, POLLIN, 0});
  }
  while (watching_.load()) {
    for (auto& fd : fds) fd.revents = 0;
    const int ready = ::poll(fds.data(), fds.size(), 50);
    if (ready > 0) {
      exit_seen_.store(true, std::memory_order_release);
      control_.main_waker->notify();
      for (auto& fd : fds) {
        if (fd.revents) fd.fd = -1;  // reported once; the main loop reaps it
      }
    }
  }
}

void ProcessGroup::send(schema::Command::Which command) {
  commands_->publish([&](capnp::MessageBuilder& m) {
    auto c = m.initRoot<schema::Command>();
    switch (command) {
      case schema::Command::STOP: c.setStop(); break;
      case schema::Command::SHUTDOWN: c.setShutdown(); break;
      case schema::Command::START: c.setStart(); break;
    }
  });
  for (const Worker& w : workers_) {
    block_.commands(w.index).store(1, std::memory_order_release);  // after the publish: polled at its next step
    block_.waker(w.index).notify();
  }
}

ProcessGroup::Worker* ProcessGroup::find(const std::string& element) {
  for (Worker& w : workers_) {
    if (w.node->name() == element) return &w;
  }
  return nullptr;
}

void ProcessGroup::fail(Worker& worker, std::exception_ptr error) {
  errors_.push_back(std::move(error));
  error_elements_.push_back(worker.node->name());
  control_.failed.store(true);
}

void ProcessGroup::poll() {
  read_statuses();
  // Exits and RouDi's death cost system calls to look at: only when the watcher saw
  // an exit, and every 10 ms (a flowing stream passes through here every few frames).
  const auto now = std::chrono::steady_clock::now();
  if (!exit_seen_.exchange(false, std::memory_order_acq_rel) && now < next_check_) return;
  next_check_ = now + std::chrono::milliseconds(10);
  for (Worker& w : workers_) {
    if (!w.exited) reap(w);
  }
  if (!workers_.empty() && !ProcessRuntime::instance().roudi().alive() && !control_.failed.load()) {
    errors_.push_back(std::make_exception_ptr(Error("RouDi died while the pipeline ran; shared memory is gone")));
    error_elements_.push_back("roudi");
    control_.failed.store(true);
  }
}

void ProcessGroup::read_statuses() {
  status_->poll([&](capnp::MessageReader& message) {
    auto status = message.getRoot<schema::Status>();
    Worker* w = find(status.getElement());
    if (!w) return;
    switch (status.which()) {
      case schema::Status::READY: w->ready = true; break;
      case schema::Status::EOS_REACHED: break;
      case schema::Status::TERMINATED: {
        auto t = status.getTerminated();
        w->terminated = true;
        w->stats.frames_in = t.getFramesIn();
        w->stats.frames_out = t.getFramesOut();
        w->stats.bytes_in = t.getBytesIn();
        w->stats.bytes_out = t.getBytesOut();
        w->stats.gaps = t.getGaps();
        w->stats.copies = t.getCopies();
        w->stats.discarded = t.getDiscarded();
        w->stats.latency_p50_us = t.getLatencyP50Us();
        w->stats.latency_p99_us = t.getLatencyP99Us();
        break;
      }
      case schema::Status::ERROR: {
        auto e = status.getError();
        fail(*w, std::make_exception_ptr(RemoteError(e.getElement(), kind_name(e.getKind()), e.getType(),
                                                     fmt::format("{} ({}): {}", e.getType().cStr(),
                                                                 kind_name(e.getKind()), e.getMessage().cStr()))));
        break;
      }
    }
  });
}

void ProcessGroup::reap(Worker& w) {
  if (::waitpid(w.pid, &w.wait_status, WNOHANG) != w.pid) return;
  w.exited = true;
  // Its last status (published before it exited) may have arrived after the last read.
  if (!w.terminated) read_statuses();
  if (WIFSIGNALED(w.wait_status)) ProcessRuntime::instance().note_unclean_exit(w.pid);
  const bool clean = WIFEXITED(w.wait_status) && WEXITSTATUS(w.wait_status) == 0 && w.terminated;
  const bool reported = std::find(error_elements_.begin(), error_elements_.end(), w.node->name()) != error_elements_.end();
  if (!clean && !reported && !w.killed) {
    fail(w, std::make_exception_ptr(RemoteError(
                w.node->name(), "internal", "",
                fmt::format("worker process (pid {}) {} before EOS", w.pid, describe_exit(w.wait_status)))));
  }
}

void ProcessGroup::request_shutdown() { send(schema::Command::SHUTDOWN); }

bool ProcessGroup::all_exited() const {
  for (const Worker& w : workers_) {
    if (!w.exited) return false;
  }
  return true;
}

std::vector<std::string> ProcessGroup::end_workers(bool drain, std::chrono::milliseconds join_timeout) {
  auto wait_all = [&](std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!all_exited() && std::chrono::steady_clock::now() < deadline) {
      Waker::Ticket ticket = control_.main_waker->prepare_wait();
      poll();
      if (all_exited()) break;
      ticket.wait(std::chrono::milliseconds(10));
    }
    return all_exited();
  };
  if (all_exited()) return {};
  if (drain) {
    send(schema::Command::SHUTDOWN);
    if (wait_all(join_timeout)) return {};
  }
  send(schema::Command::STOP);
  if (wait_all(join_timeout)) return {};
  std::vector<std::string> killed;
  for (Worker& w : workers_) {
    if (w.exited) continue;
    w.killed = true;
    killed.push_back(fmt::format("'{}' (pid {})", w.node->name(), w.pid));
    ::kill(w.pid, SIGTERM);
  }
  if (wait_all(std::chrono::milliseconds(1000))) return killed;
  for (Worker& w : workers_) {
    if (w.exited) continue;
    ::kill(w.pid, SIGKILL);
    ::waitpid(w.pid, &w.wait_status, 0);
    w.exited = true;
    ProcessRuntime::instance().note_unclean_exit(w.pid);
  }
  return killed;
}

std::exception_ptr ProcessGroup::first_error(std::string& element) const {
  if (errors_.empty()) return nullptr;
  element = error_elements_.front();
  return errors_.front();
}

void ProcessGroup::fill_stats(std::vector<ElementStats>& stats) const {
  for (const Worker& w : workers_) {
    for (ElementStats& s : stats) {
      if (s.name != w.node->name()) continue;
      const std::string name = s.name, type = s.type_name;
      s = w.stats;
      s.name = name;
      s.type_name = type;
      s.placement = Placement::Process;
    }
  }
}

}  // namespace sgn::detail
