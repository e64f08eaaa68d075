// A worker process: rebuilds its element from the spec the main process sent,
// connects its pads to shared memory, reports ready, runs the StepLoop on "start"
// until EOS or a stop, and reports errors as data (Status.error) before it exits.

#include <capnp/serialize.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <typeinfo>

#include "graph/node.hpp"
#include "graph/program_registry.hpp"
#include "process/control_block.hpp"
#include "process/control_topics.hpp"
#include "process/iox_runtime.hpp"
#include "process/iox_transport.hpp"
#include "process/worker_launcher.hpp"
#include "roudi/roudi_supervisor.hpp"
#include "runtime/step_loop.hpp"
#include "sgn/error.hpp"
#include "sgn/init.hpp"
#include "sgn/logging.hpp"
#include "sgn/pipeline.hpp"
#include "sgn/registry.hpp"

namespace sgn {
namespace detail {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr auto kForwardReleaseLimit = std::chrono::milliseconds(10'000);
// After a stop the readers have stopped too: what they have not taken they never will (it
// waited in their subscriber queues, which go with them), so only frames being read just
// then are waited for. A full limit here held the worker past main's join timeout.
constexpr auto kForwardReleaseLimitStopped = std::chrono::milliseconds(500);

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
  WorkerPorts() = default;
  WorkerPorts(const WorkerPorts&) = delete;
  WorkerPorts& operator=(const WorkerPorts&) = delete;
  /// Frames forwarded by reference hold chunks of the inputs, which go first.
  ~WorkerPorts() {
    for (auto& out : outputs) out->drop_forwards();
  }
  /// Ports connected to a process that died inside iceoryx are never destroyed.
  void abandon_inputs() {
    for (auto& in : inputs) in->abandon();
  }
};

// One worker process's life, step by step. Members are declared in the order they
// were made, so they go in reverse: commands and ports before the node's shared
// data, everything before the control block.
class WorkerProcess {
 public:
  explicit WorkerProcess(int spec_fd)
      : spec_message_(spec_fd),
        spec_(spec_message_.getRoot<schema::WorkerSpec>()),
        element_name_(spec_.getElement()),
        instance_(spec_.getInstance()),
        mempools_(mempools_of(spec_)) {
    ::close(spec_fd);
  }

  int run(const Registry& registry) {
    set_log_level(spdlog::level::from_str(spec_.getLogLevel().cStr()));
    log_ = logger(element_name_);
    if (!roudi_answers()) throw Error("no RouDi answers: the worker cannot connect");
    init_iox_runtime(spec_.getRuntimeName());
    allow_worker_termination();  // iceoryx's threads keep SIGTERM blocked: it is handled here
    block_ = ControlBlock::open(spec_.getControlSegment());
    status_.emplace(instance_, "status", ControlTopic::Role::Publish);
    main_waker_ = &block_.waker(spec_.getMainNodeIndex());
    try {
      build_node(registry);
    } catch (const std::exception& e) {
      send_error(exception_type_name(e), e.what(), kind_of(e));
      return 1;
    }
    commands_.emplace(instance_, "command", ControlTopic::Role::Subscribe);
    control_.poll_commands = [this] { poll_commands(); };  // author loops (WorkerElement) check inside the node
    if (!wait_connected()) {
      send_error("sgn::Error", "could not connect its pads to shared memory within 10 s", schema::ErrorKind::TRANSPORT);
      return 1;
    }
    send_status([](schema::Status::Builder s) { s.setReady(); });
    run_loop();
    const int exit_code = report_end();
    release();
    return exit_code;
  }

 private:
  void send_status(const std::function<void(schema::Status::Builder)>& fill) {
    status_->publish([&](capnp::MessageBuilder& m) {
      auto s = m.initRoot<schema::Status>();
      s.setElement(element_name_);
      s.setPid(::getpid());
      fill(s);
    });
    main_waker_->notify();
    const std::uint64_t one = 1;  // wakes main's supervisor thread
    [[maybe_unused]] const ssize_t n = ::write(kWorkerWakeFd, &one, sizeof one);
  }

  void send_error(const std::string& type, const std::string& message, schema::ErrorKind kind) {
    send_status([&](schema::Status::Builder s) {
      auto e = s.initError();
      e.setElement(element_name_);
      e.setKind(kind);
      e.setType(type);
      e.setMessage(message);
    });
  }

  // The element from the registry, its shared data, and its pads on shared memory.
  void build_node(const Registry& registry) {
    PropertyMap properties;
    for (auto p : spec_.getProperties()) properties.emplace(p.getName(), p.getValue());
    node_ = std::make_unique<Node>(registry.make(spec_.getTypeName().cStr(), element_name_, properties),
                                   Placement::Process, control_);
    node_->use_waker(&block_.waker(spec_.getNodeIndex()));
    node_->set_spin(std::min<std::chrono::nanoseconds>(std::chrono::nanoseconds(spec_.getSpinNs()), kSpinLimit));
    node_->use_counters(&block_.counters(spec_.getNodeIndex()));
    for (auto data : spec_.getShared()) {
      shared_segments_.push_back(ShmSegment::open(data.getSegment(), false));
      const ShmSegment& segment = shared_segments_.back();
      shared_.emplace(data.getName(), std::span<const std::byte>(static_cast<const std::byte*>(segment.data()),
                                                                 segment.size()));
    }
    node_->share(&shared_);
    control_.main_waker = &node_->waker();
    control_.all_wakers.add(&node_->waker());
    const std::string& name = node_->name();
    const std::size_t queue = spec_.getQueueMaxsize();
    for (auto out : spec_.getOutputs()) {
      std::vector<IoxOutput::Link> links;
      for (unsigned i = 0; i < out.getLinks().size(); ++i) {
        links.push_back({out.getLinks()[i], &block_.waker(out.getConsumerNodes()[i])});
      }
      ports_.outputs.push_back(std::make_unique<IoxOutput>(Topic{instance_, out.getService()}, block_,
                                                           std::move(links), queue, mempools_, spec_.getPublishers(),
                                                           [this] { return control_.ending_after_commands(); }));
      const std::string pad = out.getPad();
      node_->outputs.push_back({pad, name + ":" + pad, {ports_.outputs.back().get()}, ports_.outputs.back().get()});
    }
    for (auto in : spec_.getInputs()) {
      const std::string pad = in.getPad();
      ports_.inputs.push_back(std::make_unique<IoxInput>(Topic{instance_, in.getService()}, block_, in.getLink(),
                                                         &block_.waker(in.getProducerNode()), queue,
                                                         name + ":" + pad));
      node_->inputs.push_back({pad, name + ":" + pad, ports_.inputs.back().get()});
    }
  }

  // Main sets a command's bit in this node's word after it publishes the command: a busy
  // element's steps (and an author loop's checks) cost one load.
  void poll_commands() {
    std::atomic<std::uint32_t>& word = block_.commands(spec_.getNodeIndex());
    if (word.load(std::memory_order_relaxed) == 0) return;
    const std::uint32_t bits = word.exchange(0, std::memory_order_acq_rel);
    if (bits & kCommandStart) started_ = true;
    if (bits & kCommandStop) control_.stop_requested.store(true);
    if (bits & kCommandShutdown) control_.eos_requested.store(true);
    try {
      // The topic's messages repeat the bits (and reach only a worker that had
      // subscribed): taken so that their chunks go back.
      commands_->poll([](capnp::MessageReader&) {});
    } catch (const std::exception& e) {
      log_->error("reading main's commands: {}", e.what());
      control_.stop_requested.store(true);  // cannot hear main any more
    }
  }

  // Every input subscribed, the command topic too, and main hears our status.
  bool wait_connected() {
    const auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
    auto connected = [&] {
      for (auto& in : ports_.inputs) {
        if (!in->connected()) return false;
      }
      return commands_->connected() && status_->connected();
    };
    while (!connected()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  // Waits for main's "start", then steps the element until EOS or a stop.
  void run_loop() {
    Waker& waker = node_->waker();
    while (!started_ && !control_.ending()) {
      Waker::Ticket ticket = waker.prepare_wait();
      poll_commands();
      if (started_ || control_.ending()) break;
      ticket.wait(std::chrono::milliseconds(100));
    }
    StepLoop loop(control_, waker, {node_.get()});
    if (started_ && !control_.ending() && loop.start()) {
      loop.run([&] {
        poll_commands();
        return StepLoop::Next{node_->finished(), 0};
      });
    }
    loop.finish_nodes();
  }

  // EOS reached, the element's error, and the node's totals: the exit code.
  int report_end() {
    if (node_->finished()) send_status([](schema::Status::Builder s) { s.setEosReached(); });
    int exit_code = 0;
    if (node_->error) {
      exit_code = 1;
      try {
        std::rethrow_exception(node_->error);
      } catch (const std::exception& e) {
        log_->debug("failed: {}", e.what());  // main reports it, with the element's placement and pid
        send_error(exception_type_name(e), e.what(), kind_of(e));
      } catch (...) {
        send_error("unknown", "unknown exception", schema::ErrorKind::EXCEPTION);
      }
    }
    const ElementStats stats = node_->stats();
    const std::uint64_t copies = stats.copies;  // its outputs' and its own (in-place fallback, a network)
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
    return exit_code;
  }

  void release() {
    // Frames this worker forwarded by reference are read downstream from its inputs'
    // chunks: they stay until their readers are done (a stopped reader drops its frames
    // too), unless a process of the run was killed (main marks the instance poisoned
    // when it reaps it: that reader never will), within a limit of its own.
    // A stop may also come during this wait: main stopped after this worker had ended
    // (a second Ctrl+C just after the first one's drain reached it); its readers will
    // not take what they have not taken, so the wait ends as it would after a stop.
    std::optional<std::chrono::steady_clock::time_point> stopped_since;
    auto give_up = [&] {
      if (block_.poisoned()) return true;
      poll_commands();
      if (!control_.stop_requested.load()) return false;
      const auto now = std::chrono::steady_clock::now();
      if (!stopped_since) stopped_since = now;
      return now - *stopped_since >= kForwardReleaseLimitStopped;
    };
    for (auto& out : ports_.outputs) out->release_forwards(node_->waker(), give_up, kForwardReleaseLimit);
    node_.reset();  // frames go back to their subscribers before the ports go
    if (block_.poisoned()) {
      // A process of this run died inside iceoryx: unsubscribing from its ports (and
      // unregistering, which unsubscribes) could block RouDi for good.
      ports_.abandon_inputs();
      commands_->abandon();
      mark_iox_poisoned();
    }
  }

  capnp::StreamFdMessageReader spec_message_;
  schema::WorkerSpec::Reader spec_;
  std::string element_name_;
  std::string instance_;
  const MempoolTable mempools_;  // the ports keep a reference
  std::shared_ptr<spdlog::logger> log_;
  ControlBlock block_;
  std::optional<ControlTopic> status_;
  Waker* main_waker_ = nullptr;
  RunControl control_;
  std::vector<ShmSegment> shared_segments_;
  SharedTable shared_;
  std::unique_ptr<Node> node_;
  WorkerPorts ports_;
  std::optional<ControlTopic> commands_;
  bool started_ = false;
};

int run_worker(int spec_fd, const Registry& registry) { return WorkerProcess(spec_fd).run(registry); }

}  // namespace
}  // namespace detail

void init(int argc, char** argv, Registry& registry) {
  detail::set_program_registry(registry);
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
      code = detail::run_worker(std::atoi(argv[2]), registry);
    } catch (const std::exception& e) {
      logger("worker")->error("{}", e.what());
    }
    std::fflush(nullptr);
    std::exit(code);  // the runtime's teardown (bounded) unregisters from RouDi
  }
}

}  // namespace sgn
