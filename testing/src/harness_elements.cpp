#include "harness_elements.hpp"

#include <cstring>

namespace sgn::testing::detail {

namespace {

/// Sends what the test queued on one input pad of the element, then EOS.
class Injector final : public WorkerElement {
 public:
  Injector(const ElementArgs& args, Harness::State& state, std::size_t pad)
      : WorkerElement(args, {}, {{"out", state.inputs[pad].type}}), state_(state), pad_(pad) {}

 protected:
  void run(WorkerContext& ctx) override {
    OutputPad out = ctx.output();
    {
      // Nothing reaches the element before every collector runs: a run that fails stops
      // the loops that have not started yet, and the frames the element published
      // before its failure would be lost with them.
      std::unique_lock lock(state_.mutex);
      while (state_.collectors_running < state_.outputs.size()) {
        if (ctx.should_stop()) return;
        state_.changed.wait_for(lock, kPollInterval);
      }
    }
    for (;;) {
      InputItem item;
      {
        std::unique_lock lock(state_.mutex);
        auto& queue = state_.input_queues[pad_];
        while (queue.empty()) {
          if (ctx.should_stop() || ctx.should_shutdown()) return;  // EOS follows when run() returns
          state_.changed.wait_for(lock, kPollInterval);
        }
        item = std::move(queue.front());
        queue.pop_front();
      }
      switch (item.kind) {
        case InputItem::Kind::Eos:
          out.push_eos();
          return;
        case InputItem::Kind::Gap:
          if (!out.push_gap(item.timestamp_ns)) return;
          break;
        case InputItem::Kind::Data: {
          const std::size_t bytes = item.words.size() * sizeof(capnp::word);
          FrameWriter writer = out.loan(bytes);
          writer.copy_message(reinterpret_cast<const std::byte*>(item.words.data()), bytes, item.schema_id);
          writer.header().timestamp_ns = item.timestamp_ns;  // 0: the engine stamps it
          if (!out.push(std::move(writer))) return;
          break;
        }
      }
    }
  }

 private:
  Harness::State& state_;
  std::size_t pad_;
};

/// Copies every frame of one output pad of the element into the harness, EOS included.
class Collector final : public WorkerElement {
 public:
  Collector(const ElementArgs& args, Harness::State& state, std::size_t pad)
      : WorkerElement(args, {{"in", state.outputs[pad].type}}, {}), state_(state), pad_(pad) {}

 protected:
  void run(WorkerContext& ctx) override {
    InputPad in = ctx.input();
    {
      std::lock_guard lock(state_.mutex);
      ++state_.collectors_running;
    }
    state_.changed.notify_all();
    for (;;) {
      {
        std::unique_lock lock(state_.mutex);
        while (!state_.draining && state_.output_queues[pad_].size() >= state_.options.max_held_frames) {
          if (ctx.should_stop()) return;
          state_.changed.wait_for(lock, kPollInterval);
        }
      }
      std::optional<Frame> frame = in.pull();
      if (!frame) return drain(in);  // stopped
      if (!keep(std::move(*frame))) return;
    }
  }

 private:
  /// What the element published before the run stopped (it failed, or a stop was asked for)
  /// is still the test's to see: take what is queued, without waiting.
  void drain(InputPad& in) {
    try {
      while (std::optional<Frame> frame = in.try_pull()) {
        if (!keep(std::move(*frame))) return;
      }
    } catch (const std::exception& e) {  // a transport the stop already closed: nothing more to take
      log().debug("no more frames after the stop: {}", e.what());
    }
  }
  /// Copies `frame` into the harness; false at EOS.
  bool keep(Frame frame) {
    auto captured = std::make_shared<CapturedFrame>();
    captured->header = frame.header();
    const std::size_t bytes = frame.eos() || frame.gap() ? 0 : frame.header().message_bytes;
    captured->payload.resize((bytes + sizeof(capnp::word) - 1) / sizeof(capnp::word));
    if (bytes) std::memcpy(captured->payload.data(), frame.payload(), bytes);
    const bool eos = frame.eos();
    frame = Frame();  // the engine's storage (a shared-memory chunk) goes back at once
    {
      std::lock_guard lock(state_.mutex);
      state_.output_queues[pad_].push_back(std::move(captured));
    }
    state_.changed.notify_all();
    return !eos;
  }

  Harness::State& state_;
  std::size_t pad_;
};

}  // namespace

std::unique_ptr<Element> make_injector(const ElementArgs& args, Harness::State& state, std::size_t pad) {
  return std::make_unique<Injector>(args, state, pad);
}

std::unique_ptr<Element> make_collector(const ElementArgs& args, Harness::State& state, std::size_t pad) {
  return std::make_unique<Collector>(args, state, pad);
}

}  // namespace sgn::testing::detail
