#pragma once
// Test elements for the run loop's behaviour: a paced (live) source, a sink that
// checks it is fed without bursts, and an author loop that only polls should_stop().

#include <fcntl.h>
#include <sgn/element.hpp>
#include <unistd.h>
#include <sgn/registry.hpp>
#include <sgn/schemas/bytes.capnp.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

namespace sgn::test {

/// Emits `count` frames (-1: until EOS is requested), one every `period_us`, paced by
/// next_frame_due_ns() like a sensor. Counts what it made in `made()`.
class PacedSource final : public Source<schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-paced-source",
            "emits numbered frames at a fixed pace",
            {property<std::int64_t>("count", 10, "frames to emit (-1: unbounded)", -1, 1'000'000'000),
             property<std::int64_t>("period_us", 1000, "time between frames", 1, 3'600'000'000)}};
  }
  explicit PacedSource(const ElementArgs& args)
      : Source(args),
        count_(properties().get<std::int64_t>("count")),
        period_ns_(properties().get<std::int64_t>("period_us") * 1000) {}
  std::int64_t next_frame_due_ns() const override { return started_ns_ + next_ * period_ns_; }
  Flow produce(schema::Bytes::Builder out, Context&) override {
    if (count_ >= 0 && next_ >= count_) return Flow::Eos;
    const std::int64_t index = next_++;
    auto data = out.initData(sizeof index);
    std::memcpy(data.begin(), &index, sizeof index);
    made().fetch_add(1);
    return Flow::Ok;
  }
  /// Frames made so far by the paced sources of this process.
  static std::atomic<std::int64_t>& made() {
    static std::atomic<std::int64_t> count{0};
    return count;
  }

 protected:
  void start() override { started_ns_ = monotonic_ns(); }

 private:
  std::int64_t count_, period_ns_;
  std::int64_t started_ns_ = 0;
  std::int64_t next_ = 0;
};

/// Checks that it sees frame i when exactly i + 1 frames were made (no burst of the
/// source ran ahead of it); counts violations in `bursts()`.
class LockstepSink final : public Sink<schema::Bytes> {
 public:
  static ElementInfo describe() { return {"test-lockstep-sink", "checks a paced source is not bursty", {}}; }
  explicit LockstepSink(const ElementArgs& args) : Sink(args) {}
  Flow consume(schema::Bytes::Reader in, Context&) override {
    std::int64_t index = 0;
    std::memcpy(&index, in.getData().begin(), sizeof index);
    if (PacedSource::made().load() != index + 1) bursts().fetch_add(1);
    return Flow::Ok;
  }
  static std::atomic<int>& bursts() {
    static std::atomic<int> count{0};
    return count;
  }
};

/// An author loop that only polls should_stop() (no waits that would see a stop).
class PollingWorker final : public WorkerElement {
 public:
  static ElementInfo describe() {
    return {"test-polling-worker",
            "spins until asked to stop",
            {property<std::string>("started", "",
                                   "a file to create once the first frame has been passed on and the polling "
                                   "loop starts (in any process)")}};
  }
  explicit PollingWorker(const ElementArgs& args)
      : WorkerElement(args, {{"in", schema_type<schema::Bytes>()}}, {{"out", schema_type<schema::Bytes>()}}),
        started_(properties().get<std::string>("started")) {}

 protected:
  void run(WorkerContext& ctx) override {
    if (!started_.empty()) {
      // The marker says the pipeline ran: one frame came through before the loop that only polls.
      InputPad in = ctx.input();
      std::optional<Frame> first;
      while (!first && !ctx.should_stop()) first = in.try_pull();
      if (!first || !ctx.output().push(std::move(*first))) return;
      const int fd = ::open(started_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0) ::close(fd);
    }
    while (!ctx.should_stop()) {
    }
  }

 private:
  std::string started_;
};

inline void register_loop_elements(Registry& registry) {
  registry.add<PacedSource>();
  registry.add<LockstepSink>();
  registry.add<PollingWorker>();
}

}  // namespace sgn::test
