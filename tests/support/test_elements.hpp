#pragma once
// Small elements for engine tests: a counting source, a checking sink, and
// transforms that fail or stall on demand.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/bytes.capnp.h>
#include <sgn/schemas/samples.capnp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace sgn::test {

/// Emits `count` Bytes frames whose payload is the 8-byte frame index; a gap every `gap_every`.
class CountSource final : public Source<schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-count-source",
            "emits numbered frames",
            {property<std::int64_t>("count", 10, "frames to emit", 0),
             property<std::int64_t>("gap_every", 0, "emit a gap instead of every Nth frame (0: never)", 0),
             property<std::int64_t>("bytes", 8, "payload bytes", 8),
             property<std::int64_t>("sleep_us", 0, "pause before each frame", 0)}};
  }
  explicit CountSource(const ElementArgs& args)
      : Source(args),
        count_(properties().get<std::int64_t>("count")),
        gap_every_(properties().get<std::int64_t>("gap_every")),
        bytes_(properties().get<std::size_t>("bytes")),
        sleep_us_(properties().get<std::int64_t>("sleep_us")) {}
  std::size_t max_output_bytes() const override { return bytes_ + 64; }
  Flow produce(schema::Bytes::Builder out, Context&) override {
    if (count_ >= 0 && next_ >= count_) return Flow::Eos;
    if (sleep_us_) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    const std::int64_t index = next_++;
    if (gap_every_ && index % gap_every_ == gap_every_ - 1) return Flow::Gap;
    auto data = out.initData(static_cast<unsigned>(bytes_));
    std::memcpy(data.begin(), &index, sizeof index);
    return Flow::Ok;
  }

 private:
  std::int64_t count_, gap_every_;
  std::size_t bytes_;
  std::int64_t sleep_us_;
  std::int64_t next_ = 0;
};

/// What a CheckSink saw; shared through a registry of named records.
struct SinkRecord {
  std::mutex mutex;
  std::vector<std::uint64_t> sequences;  // data frames
  std::vector<std::int64_t> payload_index;
  std::uint64_t gaps = 0;
  bool eos = false;
  static SinkRecord& named(const std::string& name) {
    static std::mutex m;
    static std::map<std::string, std::unique_ptr<SinkRecord>> records;
    std::lock_guard lock(m);
    auto& slot = records[name];
    if (!slot) slot = std::make_unique<SinkRecord>();
    return *slot;
  }
  void clear() {
    std::lock_guard lock(mutex);
    sequences.clear();
    payload_index.clear();
    gaps = 0;
    eos = false;
  }
};

/// Records every frame into SinkRecord::named(record).
class CheckSink final : public Sink<schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-check-sink", "records what it receives",
            {property<std::string>("record", "default", "record name"),
             property<std::int64_t>("sleep_us", 0, "pause per frame", 0)}};
  }
  explicit CheckSink(const ElementArgs& args)
      : Sink(args),
        record_(SinkRecord::named(properties().get<std::string>("record"))),
        sleep_us_(properties().get<std::int64_t>("sleep_us")) {}
  Flow consume(schema::Bytes::Reader in, Context& ctx) override {
    if (sleep_us_) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    std::int64_t index = -1;
    if (in.getData().size() >= 8) std::memcpy(&index, in.getData().begin(), 8);
    std::lock_guard lock(record_.mutex);
    record_.sequences.push_back(ctx.input_header()->sequence);
    record_.payload_index.push_back(index);
    return Flow::Ok;
  }
  void gap(const FrameHeader&, Context&) override {
    std::lock_guard lock(record_.mutex);
    ++record_.gaps;
  }
  void finish() override {
    std::lock_guard lock(record_.mutex);
    record_.eos = true;
  }

 private:
  SinkRecord& record_;
  std::int64_t sleep_us_;
};

/// Copies Bytes through; throws at frame `throw_at`; sleeps `stall_ms` at frame `stall_at`.
class TestTransform final : public Transform<schema::Bytes, schema::Bytes> {
 public:
  static ElementInfo describe() {
    return {"test-transform", "passes frames through, failing or stalling on demand",
            {property<std::int64_t>("throw_at", -1, "frame index that throws"),
             property<std::int64_t>("stall_at", -1, "frame index that stalls"),
             property<std::int64_t>("stall_ms", 0, "how long to stall", 0)}};
  }
  explicit TestTransform(const ElementArgs& args)
      : Transform(args),
        throw_at_(properties().get<std::int64_t>("throw_at")),
        stall_at_(properties().get<std::int64_t>("stall_at")),
        stall_ms_(properties().get<std::int64_t>("stall_ms")) {}
  Flow process(schema::Bytes::Reader in, schema::Bytes::Builder out, Context&) override {
    const std::int64_t index = seen_++;
    if (index == throw_at_) throw std::out_of_range("test-transform refuses frame " + std::to_string(index));
    if (index == stall_at_) std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms_));
    out.setData(in.getData());
    return Flow::Ok;
  }

 private:
  std::int64_t throw_at_, stall_at_, stall_ms_;
  std::int64_t seen_ = 0;
};

inline void register_test_elements(Registry& registry) {
  registry.add<CountSource>().add<CheckSink>().add<TestTransform>();
}

}  // namespace sgn::test
