// A worker process: rebuilds its element from the spec the main process sent,
// connects its pads to shared memory, reports ready, runs on "start" until EOS
// or a stop, and reports errors as data (Status.error) before it exits.

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
#include "process/control_block.hpp"
#include "process/control_topics.hpp"
#include "process/iox_transport.hpp"
#include "process/process_runtime.hpp"
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

int run_worker(int spec_fd) {
  capnp::StreamFdMessageReader spec_message(spec_fd);
  ::close(spec_fd);
  auto spec = spec_message.getRoot<schema::WorkerSpec>();
  const std::string element_name = spec.getElement();
  set_log_level(spdlog::level::from_str(spec.getLogLevel().cStr()));
  auto log = logger(element_name);

  ProcessRuntime::instance().ensure_worker();
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
  std::vector<std::unique_ptr<IoxOutput>> outputs;
  std::vector<std::unique_ptr<IoxInput>> inputs;
  int exit_code = 0;
  try {
    PropertyMap properties;
    for (auto p : spec.getProperties()) properties.emplace(p.getName(), p.getValue());
    node = std::make_unique<Node>(Registry::global().make(spec.getTypeName().cStr(), element_name, properties),
                                  Placement::Process, control);
    node->use_waker(&block.waker(spec.getNodeIndex()));
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
      outputs.push_back(std::make_unique<IoxOutput>(Topic{instance, out.getService()}, block, std::move(links), queue,
                                                    ProcessRuntime::instance().mempools(), spec.getPublishers(),
                                                    &control.stop_requested));
      const std::string pad = out.getPad();
      node->outputs.push_back({pad, e.name() + ":" + pad, {outputs.back().get()}, outputs.back().get()});
    }
    for (auto in : spec.getInputs()) {
      const std::string pad = in.getPad();
      inputs.push_back(std::make_unique<IoxInput>(Topic{instance, in.getService()}, block, in.getLink(),
                                                  &block.waker(in.getProducerNode()), queue, e.name() + ":" + pad));
      node->inputs.push_back({pad, e.name() + ":" + pad, inputs.back().get()});
    }
  } catch (const std::exception& e) {
    send_error(exception_type_name(e), e.what(), kind_of(e));
    return 1;
  }

  ControlTopic commands(instance, "command", ControlTopic::Role::Subscribe);
  bool started = false;
  // Main flags every command it publishes for this node: the topic is read only then,
  // so a busy element's steps (and an author loop's waits) cost one load.
  std::atomic<std::uint32_t>& commands_flag = block.commands(spec.getNodeIndex());
  auto poll_commands = [&] {
    if (commands_flag.load(std::memory_order_relaxed) == 0 || commands_flag.exchange(0, std::memory_order_acq_rel) == 0) {
      return;
    }
    commands.poll([&](capnp::MessageReader& m) {
      auto command = m.getRoot<schema::Command>();
      switch (command.which()) {
        case schema::Command::STOP: control.stop_requested.store(true); break;
        case schema::Command::SHUTDOWN: control.eos_requested.store(true); break;
        case schema::Command::START: started = true; break;
      }
    });
  };

  control.poll_commands = poll_commands;  // author loops (WorkerElement) wait inside the node

  // Connected: every input subscribed, and the command topic too.
  const auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
  auto connected = [&] {
    for (auto& in : inputs) {
      if (!in->connected()) return false;
    }
    return commands.connected();
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
  try {
    while (!started && !control.stop_requested.load()) {
      Waker::Ticket ticket = waker.prepare_wait();
      poll_commands();
      if (started || control.stop_requested.load()) break;
      if (::getppid() == 1) control.stop_requested.store(true);
      ticket.wait(std::chrono::milliseconds(50));
    }
    if (!control.stop_requested.load()) {
      node->start();
      bool done = false;
      auto moved = [&] {
        poll_commands();
        const StepResult result = node->step();
        done = result == StepResult::Done;
        return done || result == StepResult::Progress;
      };
      while (!done && !control.stop_requested.load(std::memory_order_relaxed)) {
        waker.wait_unless(moved, std::chrono::milliseconds(100));
      }
      if (node->finished()) send_status([](schema::Status::Builder s) { s.setEosReached(); });
    }
  } catch (const StopRequested&) {
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    send_error(exception_type_name(e), e.what(), kind_of(e));
    exit_code = 1;
  } catch (...) {
    send_error("unknown", "unknown exception", schema::ErrorKind::EXCEPTION);
    exit_code = 1;
  }
  node->finish();
  const ElementStats stats = node->stats();
  std::uint64_t copies = 0;
  for (auto& out : outputs) copies += out->copies();
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
  inputs.clear();
  outputs.clear();
  return exit_code;
}

}  // namespace
}  // namespace detail

void init(int argc, char** argv) {
  detail::mark_worker_entry_installed();
  if (argc >= 4 && std::strcmp(argv[1], "--sgn-worker") == 0) {
    // Die with the main process, and leave Ctrl+C to it: it coordinates the drain.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != static_cast<pid_t>(std::atol(argv[3]))) std::_Exit(1);
    ::signal(SIGINT, SIG_IGN);
    int code = 1;
    try {
      code = detail::run_worker(std::atoi(argv[2]));
    } catch (const std::exception& e) {
      logger("worker")->error("{}", e.what());
    }
    std::fflush(nullptr);
    std::exit(code);  // static destructors unregister this runtime from RouDi
  }
}

}  // namespace sgn
