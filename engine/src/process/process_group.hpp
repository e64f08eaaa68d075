#pragma once
// The Parallelize context of one run in process mode: the control block, the
// shared-memory ports on the main side, the worker processes and the control
// topics. run.cpp asks it to connect, to start, to report, and to end.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "detail/node.hpp"
#include "process/control_block.hpp"
#include "process/control_topics.hpp"
#include "process/iox_transport.hpp"

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
  /// Connects every link that touches a process-placed node through shared
  /// memory, gives every node a shared waker, and returns the links left for
  /// in-memory channels. `nodes` are in topological order.
  ProcessGroup(std::vector<Node*> nodes, const std::vector<LinkPlan>& links, RunControl& control,
               std::size_t queue_maxsize, const SharedTable& shared, std::vector<LinkPlan>& local_links);
  ~ProcessGroup();

  /// Starts the workers, waits until every one is connected, then says "start".
  void launch(std::chrono::milliseconds timeout);
  /// Reads status messages and reaps exited workers; sets control.failed on an error.
  void poll();
  /// Asks every worker to drain: sources end with EOS (Ctrl+C, request_shutdown).
  void request_shutdown();
  /// Every worker process has exited and been reaped.
  bool all_exited() const;
  /// Shutdown ladder for workers still running: shutdown (if draining), stop, the
  /// join timeout, SIGTERM, SIGKILL. Returns the elements that had to be killed.
  std::vector<std::string> end_workers(bool drain, std::chrono::milliseconds join_timeout);
  /// The first worker failure, as an exception to nest under WorkerError.
  std::exception_ptr first_error(std::string& element) const;
  /// Fills in what each worker reported about itself.
  void fill_stats(std::vector<ElementStats>& stats) const;

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
    bool killed = false;
    ElementStats stats;
  };
  Worker* find(const std::string& element);
  void reap(Worker& worker);
  /// Reads every queued Status message (ready, EOS, terminated with counters, errors).
  void read_statuses();
  void fail(Worker& worker, std::exception_ptr error);
  void send(schema::Command::Which command);
  void watch_exits();

  std::vector<Node*> nodes_;
  RunControl& control_;
  std::size_t queue_maxsize_;
  std::string instance_;
  ControlBlock block_;
  std::vector<std::pair<std::string, ShmSegment>> shared_;  // Pipeline::share, for the workers
  std::uint32_t main_index_;
  std::vector<std::unique_ptr<IoxOutput>> outputs_;
  std::vector<std::unique_ptr<IoxInput>> inputs_;
  std::unique_ptr<ControlTopic> commands_;
  std::unique_ptr<ControlTopic> status_;
  std::vector<Worker> workers_;
  std::vector<LinkPlan> links_;
  std::size_t publishers_ = 0;  // shared-memory output pads, main side and workers
  std::vector<std::exception_ptr> errors_;
  std::vector<std::string> error_elements_;
  std::atomic<bool> watching_{false};
  std::thread watcher_;  // wakes the main loop when a worker process exits
  std::atomic<bool> exit_seen_{false};  // set by the watcher: reap at the next poll()
  std::chrono::steady_clock::time_point next_check_{};  // reaping and RouDi liveness, else every 10 ms
};

}  // namespace sgn::detail
