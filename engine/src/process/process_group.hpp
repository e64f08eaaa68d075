#pragma once
// The Parallelize context of one run in process mode: the control block, the
// shared-memory ports on the main side, the worker processes, the control topics,
// and a supervisor thread. The supervisor, not the main loop, watches the workers
// (pidfds), RouDi and the status topic, and sends every command: a worker's death
// is seen, and a stop reaches every worker, whatever the main-placed elements are
// doing. runtime/run.cpp asks the group to launch, reads its atomics, and ends it.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "graph/node.hpp"
#include "process/control_block.hpp"
#include "process/control_topics.hpp"
#include "process/iox_transport.hpp"
#include "roudi/mempool_table.hpp"
#include "sgn/error.hpp"

namespace sgn::detail {

/// A link as the planner sees it.
struct LinkPlan {
  std::size_t producer;  // node index (topological order)
  std::size_t from_pad;
  std::size_t consumer;
  std::size_t to_pad;
};

class ProcessGroup {
 public:
  /// Attaches to or starts RouDi (checking `cancelled` while it waits), connects
  /// every link that touches a process-placed node through shared memory, gives every
  /// node a shared waker and returns the links left for in-memory channels. `nodes`
  /// are in topological order.
  ProcessGroup(std::vector<Node*> nodes, const std::vector<LinkPlan>& links, RunControl& control,
               std::size_t queue_maxsize, const SharedTable& shared, std::vector<LinkPlan>& local_links,
               const std::function<bool()>& cancelled);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  /// Starts the workers and the supervisor, waits (up to `timeout`) until every worker
  /// is connected, then says "start". False when the run ended or was asked to end
  /// meanwhile (start-up abandoned); throws if a worker did not connect in time.
  bool launch(std::chrono::milliseconds timeout);
  /// Every worker process has exited and been reaped.
  bool all_exited() const noexcept { return exited_.load(std::memory_order_acquire) == workers_.size(); }
  /// After the main loop: stop (unless the run drained), the join timeout, SIGTERM,
  /// SIGKILL. Returns the elements that had to be killed, with their pids.
  std::vector<ErrorSite> end_workers(bool drained, std::chrono::milliseconds join_timeout);
  /// The first failure (a worker's error or death, RouDi's death), to nest under WorkerError.
  std::exception_ptr first_error(std::string& element) const;
  /// Fills in what each worker counted (in shared memory) and reported.
  void fill_stats(std::vector<ElementStats>& stats) const;
  /// The counters (in shared memory) of the workers that are sinks, for progress.
  std::vector<const NodeCounters*> sink_counters() const;
  /// Data frames published to each consumer over shared memory that it never took in
  /// (never took, or a killed worker took without counting): (consumer node index, count).
  std::vector<std::pair<std::size_t, std::uint64_t>> in_flight() const;

 private:
  struct Worker {
    Node* node = nullptr;
    std::uint32_t index = 0;
    pid_t pid = -1;
    int pidfd = -1;
    bool ready = false;
    bool terminated = false;  // sent its final status
    bool exited = false;
    int wait_status = 0;
    bool ended_by_us = false;  // the ladder's SIGTERM or SIGKILL
    int signal_sent = 0;
    double latency_p50_us = 0, latency_p99_us = 0;
    std::uint64_t copies = 0;
  };
  void spawn_workers();
  void supervise();
  void read_statuses();
  /// Reaps `w` if it exited; records how. The caller holds mutex_ and has just read
  /// the statuses.
  void reap(Worker& w);
  void fail(const std::string& element, std::exception_ptr error);
  void send(schema::Command::Which command);
  void send_due_commands();
  void wake_supervisor() noexcept;
  void signal_remaining(int signal_number, std::vector<ErrorSite>* signalled);
  bool wait_for_exits(std::chrono::milliseconds limit);
  std::string runtime_name(std::size_t node) const;

  std::vector<Node*> nodes_;
  RunControl& control_;
  std::size_t queue_maxsize_;
  std::string instance_;
  MempoolTable mempools_;
  ControlBlock block_;
  std::vector<std::pair<std::string, ShmSegment>> shared_;  // Pipeline::share, for the workers
  std::uint32_t main_index_;
  std::vector<std::unique_ptr<IoxOutput>> outputs_;
  std::vector<std::unique_ptr<IoxInput>> inputs_;
  std::unique_ptr<ControlTopic> commands_;  // used by the supervisor thread only, once it runs
  std::unique_ptr<ControlTopic> status_;    // likewise
  std::vector<Worker> workers_;
  std::vector<LinkPlan> links_;
  std::vector<bool> link_remote_;  // carried by shared memory
  std::size_t publishers_ = 0;  // shared-memory output pads, main side and workers

  int wake_fd_ = -1;  // eventfd: requests, worker statuses and the main loop wake the supervisor
  int roudi_pidfd_ = -1;
  mutable std::mutex mutex_;  // workers_' state and the errors, between supervisor and main
  std::vector<std::pair<std::string, std::exception_ptr>> errors_;
  std::atomic<std::size_t> exited_{0};
  std::atomic<bool> start_requested_{false};
  std::atomic<bool> closing_{false};  // the main loop has ended: leave once every worker is reaped
  std::atomic<bool> quit_{false};     // leave now
  std::atomic<bool> roudi_died_{false};
  bool sent_start_ = false, sent_shutdown_ = false, sent_stop_ = false;  // supervisor thread only
  std::thread supervisor_;
};

}  // namespace sgn::detail
