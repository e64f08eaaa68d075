// A worker process: rebuilds its element from the spec the main process sent,
// connects its pads to shared memory, reports ready, runs the StepLoop on "start"
// until EOS or a stop, and reports errors as data (Status.error) before it exits.

#include <capnp/serialize.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <thread>
#include <typeinfo>

#include "detail/node.hpp"
#include "detail/step_loop.hpp"
#include "process/control_block.hpp"
#include "process/control_topics.hpp"
#include "process/iox_runtime.hpp"
#include "process/iox_transport.hpp"
#include "process/roudi_supervisor.hpp"
#include "process/worker_launcher.hpp"
#include "sgn/error.hpp"
#include "sgn/init.hpp"
#include "sgn/logging.hpp"
#include "sgn/registry.hpp"

namespace sgn {
namespace detail {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);

schema::ErrorKind kind_of(const std::exception& e) {
  if (dynamic_cast<const FrameError*>(&e)) return schema::ErrorKind::FRAME_OVERFLOW;
  if (dynamic_cast<const PropertyError*>(&e) || dynamic_cast<const TypeMismatchError*>(&e)) {
    return schema::ErrorKind::BAD_INPUT;
  }
  return schema::ErrorKind::EXCEPTION;
}

MempoolTable mempools_of(schema::WorkerSpec::Reader spec) {
  MempoolTable table;
  for (auto pool : spec.getMempools()) table.pools.push_back({pool.getPayload(), pool.getCount()});
  return table;
}

// Everything a worker owns, in the order it must go: frames before ports, ports
// before the control block.
struct WorkerPorts {
  std::vector<std::unique_ptr<IoxOutput>> outputs;
  std::vector<std::unique_ptr<IoxInput>> inputs;
  /// Ports connected to a process that died inside iceoryx are never destroyed.
  void abandon_inputs() {
    for (auto& in : inputs) in->abandon();
  }
};

int run_worker(int spec_fd) {
  capnp::StreamFdMessageReader spec_message(spec_fd);
  ::close(spec_fd);
  auto spec = spec_message.getRoot<schema::WorkerSpec>();
  const std::string element_name = spec.getElement();
  set_log_level(spdlog::level::from_str(spec.getLogLevel().cStr()));
  auto log = logger(element_name);

  if (!roudi_answers()) throw Error("no RouDi answers: the worker cannot connect");
  init_iox_runtime(spec.getRuntimeName());
  allow_worker_termination();  // iceoryx's threads keep SIGTERM blocked: it is handled here
  const MempoolTable mempools = mempools_of(spec);
  ControlBlock block = ControlBlock::open(spec.getControlSegment());
  const std::string instance = spec.getInstance();
  ControlTopic status(instance, "status", ControlTopic::Role::Publish);
  Waker& main_waker = block.waker(spec.getMainNodeIndex());
  const pid_t pid = ::getpid();

  auto send_status = [&](const std::function<void(schema::Status::Builder)>& fill) {
    status.publish([&](capnp::MessageBuilder& m) {
      auto s = m.initRoot<schema::Status>();
      s.setElement(element_name);
      s.setPid(pid);
      fill(s);
    });
    main_waker.notify();
    const std::uint64_t one = 1;  // wakes main's supervisor thread
    [[maybe_unused]] const ssize_t n = ::write(kWorkerWakeFd, &one, sizeof one);
  };
  auto send_error = [&](const std::string& type, const std::string& message, schema::ErrorKind kind) {
    send_status([&](schema::Status::Builder s) {
      auto e = s.initError();
      e.setElement(element_name);
      e.setKind(kind);
      e.setType(type);
      e.setMessage(message);
    });
  };

  RunControl control;
  std::vector<ShmSegment> shared_segments;
  SharedTable shared;
  std::unique_ptr<Node> node;
  WorkerPorts ports;
  try {
    PropertyMap properties;
    for (auto p : spec.getProperties()) properties.emplace(p.getName(), p.getValue());
    node = std::make_unique<Node>(Registry::global().make(spec.getTypeName().cStr(), element_name, properties),
                                  Placement::Process, control);
    node->use_waker(&block.waker(spec.getNodeIndex()));
    node->use_counters(&block.counters(spec.getNodeIndex()));
    for (auto data : spec.getShared()) {
      shared_segments.push_back(ShmSegment::open(data.getSegment(), false));
      const ShmSegment& segment = shared_segments.back();
      shared.emplace(data.getName(), std::span<const std::byte>(static_cast<const std::byte*>(segment.data()),
                                                                segment.size()));
    }
    node->share(&shared);
    control.main_waker = &node->waker();
    control.all_wakers.push_back(&node->waker());
    const Element& e = node->element();
    const std::size_t queue = spec.getQueueMaxsize();
    for (auto out : spec.getOutputs()) {
      std::vector<IoxOutput::Link> links;
      for (unsigned i = 0; i < out.getLinks().size(); ++i) {
        links.push_back({out.getLinks()[i], &block.waker(out.getConsumerNodes()[i])});
      }
      ports.outputs.push_back(std::make_unique<IoxOutput>(Topic{instance, out.getService()}, block, std::move(links),
                                                          queue, mempools, spec.getPublishers(),
                                                          &control.stop_requested));
      const std::string pad = out.getPad();
      node->outputs.push_back({pad, e.name() + ":" + pad, {ports.outputs.back().get()}, ports.outputs.back().get()});
    }
    for (auto in : spec.getInputs()) {
      const std::string pad = in.getPad();
      ports.inputs.push_back(std::make_unique<IoxInput>(Topic{instance, in.getService()}, block, in.getLink(),
                                                        &block.waker(in.getProducerNode()), queue,
                                                        e.name() + ":" + pad));
      node->inputs.push_back({pad, e.name() + ":" + pad, ports.inputs.back().get()});
    }
  } catch (const std::exception& e) {
    send_error(exception_type_name(e), e.what(), kind_of(e));
    return 1;
  }

  ControlTopic commands(instance, "command", ControlTopic::Role::Subscribe);
  bool started = false;
  // Main flags every command it publishes for this node: the topic is read only then,
  // so a busy element's steps (and an author loop's checks) cost one load.
  std::atomic<std::uint32_t>& commands_flag = block.commands(spec.getNodeIndex());
  auto poll_commands = [&] {
    if (commands_flag.load(std::memory_order_relaxed) == 0 || commands_flag.exchange(0, std::memory_order_acq_rel) == 0) {
      return;
    }
    try {
      commands.poll([&](capnp::MessageReader& m) {
        auto command = m.getRoot<schema::Command>();
        switch (command.which()) {
          case schema::Command::STOP: control.stop_requested.store(true); break;
          case schema::Command::SHUTDOWN: control.eos_requested.store(true); break;
          case schema::Command::START: started = true; break;
        }
      });
    } catch (const std::exception& e) {
      log->error("reading main's commands: {}", e.what());
      control.stop_requested.store(true);  // cannot hear main any more
    }
  };
  control.poll_commands = poll_commands;  // author loops (WorkerElement) wait and check inside the node

  // Connected: every input subscribed, the command topic too, and main hears our status.
  const auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
  auto connected = [&] {
    for (auto& in : ports.inputs) {
      if (!in->connected()) return false;
    }
    return commands.connected() && status.connected();
  };
  while (!connected()) {
    if (std::chrono::steady_clock::now() > deadline) {
      send_error("sgn::Error", "could not connect its pads to shared memory within 10 s", schema::ErrorKind::TRANSPORT);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  send_status([](schema::Status::Builder s) { s.setReady(); });

  Waker& waker = node->waker();
  while (!started && !control.ending()) {
    Waker::Ticket ticket = waker.prepare_wait();
    poll_commands();
    if (started || control.ending()) break;
    ticket.wait(std::chrono::milliseconds(100));
  }
  StepLoop loop(control, waker, {node.get()});
  if (started && !control.ending() && loop.start()) {
    loop.run([&] {
      poll_commands();
      return StepLoop::Next{node->finished(), 0};
    });
  }
  loop.finish_nodes();
  if (node->finished()) send_status([](schema::Status::Builder s) { s.setEosReached(); });
  int exit_code = 0;
  if (node->error) {
    exit_code = 1;
    try {
      std::rethrow_exception(node->error);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      send_error(exception_type_name(e), e.what(), kind_of(e));
    } catch (...) {
      send_error("unknown", "unknown exception", schema::ErrorKind::EXCEPTION);
    }
  }
  const ElementStats stats = node->stats();
  std::uint64_t copies = 0;
  for (auto& out : ports.outputs) copies += out->copies();
  send_status([&](schema::Status::Builder s) {
    auto t = s.initTerminated();
    t.setFramesIn(stats.frames_in);
    t.setFramesOut(stats.frames_out);
    t.setBytesIn(stats.bytes_in);
    t.setBytesOut(stats.bytes_out);
    t.setGaps(stats.gaps);
    t.setCopies(copies);
    t.setDiscarded(stats.discarded);
    t.setLatencyP50Us(stats.latency_p50_us);
    t.setLatencyP99Us(stats.latency_p99_us);
  });
  node.reset();  // frames go back to their subscribers before the ports go
  if (block.poisoned()) {
    // A process of this run died inside iceoryx: unsubscribing from its ports (and
    // unregistering, which unsubscribes) could block RouDi for good.
    ports.abandon_inputs();
    commands.abandon();
    mark_iox_poisoned();
  }
  return exit_code;
}

}  // namespace
}  // namespace detail

void init(int argc, char** argv) {
  detail::mark_worker_entry_installed();
  if (argc >= 4 && std::strcmp(argv[1], "--sgn-worker") == 0) {
    const auto main_pid = static_cast<pid_t>(std::atol(argv[3]));
    // Main's SIGTERM (its shutdown ladder, and its death: the parent-death signal comes
    // from it too) ends this worker, outside iceoryx calls; nobody else's does. The
    // terminal's signals never come here (own process group); if sent, they are ignored.
    detail::install_worker_termination(main_pid);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != main_pid) std::_Exit(1);  // main died before the line above
    for (int ignored : {SIGINT, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP, SIGQUIT}) ::signal(ignored, SIG_IGN);
    int code = 1;
    try {
      code = detail::run_worker(std::atoi(argv[2]));
    } catch (const std::exception& e) {
      logger("worker")->error("{}", e.what());
    }
    std::fflush(nullptr);
    std::exit(code);  // the runtime's teardown (bounded) unregisters from RouDi
  }
}

}  // namespace sgn
