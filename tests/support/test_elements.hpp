#pragma once
// Small elements for engine tests: a counting source, a checking sink, and
// transforms that fail or stall on demand.

#include <fcntl.h>
#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/bytes.capnp.h>
#include <sgn/schemas/samples.capnp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <string>
#include <vector>

namespace sgn::test {

/// Payload bytes a test frame may have: what a Cap'n Proto Data list holds (under 2^29), more
/// than the largest shared-memory chunk, so that tests can make frames too big for it.
inline constexpr std::int64_t kMaxTestBytes = (std::int64_t{1} << 29) - 64;
/// Longest pause a test element takes: a minute.
inline constexpr std::int64_t kMaxTestSleepUs = 60'000'000;

/// Emits `count` Bytes frames (-1: until EOS is requested) whose payload is the 8-byte
/// frame index; a gap every `gap_every`.
class CountSource final : public Source<schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-count-source",
            "emits numbered frames",
            {property<std::int64_t>("count", 10, "frames to emit (-1: unbounded)", -1, kMaxPropertyInteger),
             property<std::int64_t>("gap_every", 0, "emit a gap instead of every Nth frame (0: never)", 0,
                                    kMaxPropertyInteger),
             property<std::int64_t>("bytes", 8, "payload bytes", 8, kMaxTestBytes),
             property<std::int64_t>("sleep_us", 0, "pause before each frame", 0, kMaxTestSleepUs),
             property<std::int64_t>("throw_at", -1, "frame index that throws (-1: none)", -1, kMaxPropertyInteger)}};
  }
  explicit CountSource(const ElementArgs& args)
      : Source(args),
        count_(properties().get<std::int64_t>("count")),
        gap_every_(properties().get<std::int64_t>("gap_every")),
        bytes_(properties().get<std::size_t>("bytes")),
        sleep_us_(properties().get<std::int64_t>("sleep_us")),
        throw_at_(properties().get<std::int64_t>("throw_at")) {}
  std::size_t max_output_bytes() const override { return bytes_ + 64; }
  Flow produce(schema::Bytes::Builder out, Context&) override {
    if (count_ >= 0 && next_ >= count_) return Flow::Eos;
    if (sleep_us_) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    const std::int64_t index = next_++;
    if (index == throw_at_) throw std::runtime_error("test-count-source cannot make frame " + std::to_string(index));
    if (gap_every_ && index % gap_every_ == gap_every_ - 1) return Flow::Gap;
    auto data = out.initData(static_cast<unsigned>(bytes_));
    std::memcpy(data.begin(), &index, sizeof index);
    return Flow::Ok;
  }

 private:
  std::int64_t count_, gap_every_;
  std::size_t bytes_;
  std::int64_t sleep_us_;
  std::int64_t throw_at_;
  std::int64_t next_ = 0;
};

/// What a CheckSink saw; shared through a registry of named records.
struct SinkRecord {
  std::mutex mutex;
  std::vector<std::uint64_t> sequences;  // data frames
  std::vector<std::int64_t> payload_index;
  std::vector<const void*> headers;         // where each data frame lived (sharing checks)
  std::vector<std::uint64_t> gap_sequences;
  std::vector<std::uint64_t> all_sequences;  // data and gap frames, in arrival order
  std::uint64_t gaps = 0;
  std::uint64_t mismatches = 0;  // frames a PatternSink found with other bytes than expected
  bool eos = false;
  static SinkRecord& named(const std::string& name) {
    static std::mutex m;
    static std::map<std::string, std::unique_ptr<SinkRecord>> records;
    std::lock_guard lock(m);
    auto& slot = records[name];
    if (!slot) slot = std::make_unique<SinkRecord>();
    return *slot;
  }
  /// named(name), emptied: what a test that reads the record starts from.
  static SinkRecord& fresh(const std::string& name) {
    SinkRecord& record = named(name);
    record.clear();
    return record;
  }
  void clear() {
    std::lock_guard lock(mutex);
    sequences.clear();
    payload_index.clear();
    headers.clear();
    gap_sequences.clear();
    all_sequences.clear();
    gaps = 0;
    mismatches = 0;
    eos = false;
  }
};

/// Records every frame into SinkRecord::named(record); returns Flow::Eos after `eos_after` frames.
class CheckSink final : public Sink<schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-check-sink", "records what it receives",
            {property<std::string>("record", "default", "record name"),
             property<std::int64_t>("sleep_us", 0, "pause per frame", 0, kMaxTestSleepUs),
             property<std::int64_t>("eos_after", -1, "end early after this many frames (-1: never)", -1,
                                    kMaxPropertyInteger)}};
  }
  explicit CheckSink(const ElementArgs& args)
      : Sink(args),
        record_(SinkRecord::named(properties().get<std::string>("record"))),
        sleep_us_(properties().get<std::int64_t>("sleep_us")),
        eos_after_(properties().get<std::int64_t>("eos_after")) {}
  Flow consume(schema::Bytes::Reader in, Context& ctx) override {
    if (sleep_us_) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    std::int64_t index = -1;
    if (in.getData().size() >= 8) std::memcpy(&index, in.getData().begin(), 8);
    std::lock_guard lock(record_.mutex);
    record_.sequences.push_back(ctx.input_header()->sequence);
    record_.all_sequences.push_back(ctx.input_header()->sequence);
    record_.payload_index.push_back(index);
    record_.headers.push_back(ctx.input_header());
    ++consumed_;
    return eos_after_ >= 0 && consumed_ >= eos_after_ ? Flow::Eos : Flow::Ok;
  }
  void gap(const FrameHeader& header, Context&) override {
    std::lock_guard lock(record_.mutex);
    ++record_.gaps;
    record_.gap_sequences.push_back(header.sequence);
    record_.all_sequences.push_back(header.sequence);
  }
  void finish() override {
    std::lock_guard lock(record_.mutex);
    record_.eos = true;
  }

 private:
  SinkRecord& record_;
  std::int64_t sleep_us_;
  std::int64_t eos_after_;
  std::int64_t consumed_ = 0;
};

/// Copies Bytes through; throws at frame `throw_at`; sleeps `stall_ms` at frame `stall_at`.
class TestTransform final : public Transform<schema::Bytes, schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-transform", "passes frames through, failing or stalling on demand",
            {property<std::int64_t>("throw_at", -1, "frame index that throws (-1: none)", -1, kMaxPropertyInteger),
             property<std::int64_t>("stall_at", -1, "frame index that stalls (-1: none)", -1, kMaxPropertyInteger),
             property<std::int64_t>("stall_ms", 0, "how long to stall", 0, kMaxTestSleepUs / 1000),
             property<std::string>("stall_mark", "", "file created when the stall begins (the test's own, new)"),
             property<std::string>("copy_shared", "", "replace each payload with this shared data")}};
  }
  explicit TestTransform(const ElementArgs& args)
      : Transform(args),
        throw_at_(properties().get<std::int64_t>("throw_at")),
        stall_at_(properties().get<std::int64_t>("stall_at")),
        stall_ms_(properties().get<std::int64_t>("stall_ms")),
        stall_mark_(properties().get<std::string>("stall_mark")),
        copy_shared_(properties().get<std::string>("copy_shared")) {
    ++live();
  }
  ~TestTransform() override { --live(); }
  Flow process(schema::Bytes::Reader in, schema::Bytes::Builder out, Context&) override {
    const std::int64_t index = seen_++;
    if (index == throw_at_) throw std::out_of_range("test-transform refuses frame " + std::to_string(index));
    if (index == stall_at_) {
      ++stalling();
      if (!stall_mark_.empty()) {  // an event a test in another process can wait for
        const int fd = ::open(stall_mark_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) ::close(fd);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms_));
      --stalling();
    }
    if (!copy_shared_.empty()) {
      const auto shared = shared_data(copy_shared_);
      out.setData(kj::arrayPtr(reinterpret_cast<const kj::byte*>(shared.data()), shared.size()));
    } else {
      out.setData(in.getData());
    }
    return Flow::Ok;
  }
  /// Instances alive (a detached worker may still hold one).
  static std::atomic<int>& live() {
    static std::atomic<int> count{0};
    return count;
  }
  /// Instances inside their stall right now.
  static std::atomic<int>& stalling() {
    static std::atomic<int> count{0};
    return count;
  }

 private:
  std::int64_t throw_at_, stall_at_, stall_ms_;
  std::string stall_mark_;
  std::string copy_shared_;
  std::int64_t seen_ = 0;
};

/// A WorkerElement that owns its loop: forwards data frames, counting them in its
/// state, and tags each payload with that count; forwards gaps; ends on EOS or a stop.
class CountingWorker final : public WorkerElement {
 public:
  static ElementInfo describe() { return {"test-counting-worker", "forwards frames from its own loop", {}}; }
  explicit CountingWorker(const ElementArgs& args)
      : WorkerElement(args, {{"in", schema_type<schema::Bytes>()}}, {{"out", schema_type<schema::Bytes>()}}) {}
  static std::atomic<std::int64_t>& last_count() {
    static std::atomic<std::int64_t> count{0};
    return count;
  }

 protected:
  void run(WorkerContext& ctx) override {
    InputPad in = ctx.input();
    OutputPad out = ctx.output("out");
    auto& count = ctx.state<std::int64_t>();
    while (!ctx.should_stop()) {
      std::optional<Frame> frame = in.pull();
      if (!frame || frame->eos()) break;
      if (frame->gap()) {
        if (!out.push_gap(frame->header().timestamp_ns)) break;
        continue;
      }
      auto view = frame->read<schema::Bytes>("test-counting-worker:in");
      FrameWriter writer = out.loan(view->totalSize().wordCount * 8 + 64);
      writer.init<schema::Bytes>().setData(view->getData());
      writer.header().sequence = frame->header().sequence;
      writer.header().timestamp_ns = frame->header().timestamp_ns;
      ++count;
      if (!out.push(std::move(writer))) break;
    }
    last_count() = ctx.state<std::int64_t>();
  }
};

/// Passes its input on unchanged (Transform::passthrough): no copy.
class TestPassthrough final : public Transform<schema::Bytes, schema::Bytes> {
 public:
  static ElementInfo describe() { return {"test-passthrough", "forwards its input frame", {}}; }
  explicit TestPassthrough(const ElementArgs& args) : Transform(args) {}
  bool passthrough() const override { return true; }
};

/// XORs every payload byte with `mask`, in place (Transform::in_place).
class TestInPlace final : public Transform<schema::Bytes, schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-in-place", "xors every payload byte with a mask, in place",
            {property<std::int64_t>("mask", 0xA5, "the byte to xor with", 0, 255)}};
  }
  explicit TestInPlace(const ElementArgs& args)
      : Transform(args), mask_(static_cast<std::uint8_t>(properties().get<std::int64_t>("mask"))) {}
  bool in_place() const override { return true; }
  Flow process_in_place(schema::Bytes::Builder data, Context&) override {
    for (auto& byte : data.getData()) byte ^= mask_;
    return Flow::Ok;
  }

 private:
  std::uint8_t mask_;
};

/// Checks every payload against a CountSource's frame (index in the first 8 bytes,
/// zeros after) xored with `mask`; counts frames that differ into SinkRecord::mismatches.
/// Creates `mark` (a new file) at frame `mark_at`; sleeps `sleep_us` per frame.
class PatternSink final : public Sink<schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-pattern-sink", "checks every byte of CountSource frames",
            {property<std::string>("record", "default", "record name"),
             property<std::int64_t>("mask", 0, "xor expected on every byte", 0, 255),
             property<std::int64_t>("sleep_us", 0, "pause per frame", 0, kMaxTestSleepUs),
             property<std::int64_t>("mark_at", -1, "frame at which to create `mark`", -1, kMaxPropertyInteger),
             property<std::string>("mark", "", "file created at frame mark_at")}};
  }
  explicit PatternSink(const ElementArgs& args)
      : Sink(args),
        record_(SinkRecord::named(properties().get<std::string>("record"))),
        mask_(static_cast<std::uint8_t>(properties().get<std::int64_t>("mask"))),
        sleep_us_(properties().get<std::int64_t>("sleep_us")),
        mark_at_(properties().get<std::int64_t>("mark_at")),
        mark_(properties().get<std::string>("mark")) {}
  Flow consume(schema::Bytes::Reader in, Context& ctx) override {
    if (sleep_us_) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    auto data = in.getData();
    std::uint8_t first[8] = {};
    for (std::size_t i = 0; i < 8 && i < data.size(); ++i) first[i] = data[i] ^ mask_;
    std::int64_t index = -1;
    if (data.size() >= 8) std::memcpy(&index, first, 8);
    bool same = data.size() >= 8;
    for (std::size_t i = 8; same && i < data.size(); ++i) same = data[i] == mask_;
    if (seen_++ == mark_at_ && !mark_.empty()) {
      const int fd = ::open(mark_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0) ::close(fd);
    }
    std::lock_guard lock(record_.mutex);
    record_.sequences.push_back(ctx.input_header()->sequence);
    record_.payload_index.push_back(index);
    if (!same) ++record_.mismatches;
    return Flow::Ok;
  }
  void finish() override {
    std::lock_guard lock(record_.mutex);
    record_.eos = true;
  }

 private:
  SinkRecord& record_;
  std::uint8_t mask_;
  std::int64_t sleep_us_, mark_at_;
  std::string mark_;
  std::int64_t seen_ = 0;
};

inline void register_test_elements(Registry& registry) {
  registry.add<CountSource>().add<CheckSink>().add<TestTransform>().add<CountingWorker>();
  registry.add<TestPassthrough>().add<TestInPlace>().add<PatternSink>();
}

}  // namespace sgn::test
