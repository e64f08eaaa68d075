#pragma once
/// Element bases. An author derives from Source, Transform or Sink and overrides
/// one hook, or from WorkerElement to own the whole loop. The engine owns loaning,
/// publishing, waiting, EOS and gap forwarding, and placement.

#include <spdlog/logger.h>

#include <any>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <vector>

#include "sgn/error.hpp"
#include "sgn/frame.hpp"
#include "sgn/internal/element_steps.hpp"
#include "sgn/placement.hpp"
#include "sgn/properties.hpp"
#include "sgn/schema_type.hpp"

namespace sgn {

/// What a hook tells the engine about the frame it was given or asked for.
enum class Flow {
  Ok,    ///< the output frame is complete: publish it
  Gap,   ///< publish a gap frame (header only) instead of the output
  Skip,  ///< publish nothing for this input (a decimating transform)
  Eos,   ///< the stream ends here: publish EOS downstream (nothing of this call)
};

/// A named pad and the schema type it carries.
struct PadSpec {
  std::string name;
  SchemaType type;
};

/// How an element instance is made: its name and validated properties.
struct ElementArgs {
  std::string name;
  std::string type_name;
  Properties properties;
};

/// Per-call information handed to a hook.
class Context {
 public:
  Context(const detail::Node& node, const FrameHeader* input) noexcept : node_(node), input_(input) {}
  /// Header of the frame being processed (transforms and sinks), else nullptr.
  const FrameHeader* input_header() const noexcept { return input_; }
  /// True once the pipeline asked sources to end (Ctrl+C, shutdown).
  bool eos_requested() const noexcept;
  spdlog::logger& log() const noexcept;
  const std::string& element_name() const noexcept;
  /// Read-only data the pipeline shares under `name` (Pipeline::share).
  std::span<const std::byte> shared(std::string_view name) const;

 private:
  const detail::Node& node_;
  const FrameHeader* input_;
};

/// Base of all elements.
class alignas(64) Element {
 public:
  virtual ~Element();
  Element(const Element&) = delete;
  Element& operator=(const Element&) = delete;

  const std::string& name() const noexcept { return args_.name; }
  const std::string& type_name() const noexcept { return args_.type_name; }
  const Properties& properties() const noexcept { return args_.properties; }
  /// Input pads (SGN's sink pads), in declaration order.
  const std::vector<PadSpec>& inputs() const noexcept { return inputs_; }
  /// Output pads (SGN's source pads), in declaration order.
  const std::vector<PadSpec>& outputs() const noexcept { return outputs_; }
  /// Index of the input pad named `pad` ("" names the only one). Throws
  /// ValidationError naming the element, its type, the pad and the pads it has.
  std::size_t input_index(std::string_view pad = {}) const;
  /// As input_index(), for output pads.
  std::size_t output_index(std::string_view pad = {}) const;
  /// Placements this element can run in.
  virtual std::vector<Placement> placements() const {
    return {Placement::Main, Placement::Thread, Placement::Process};
  }
  /// The element's logger ("sgn.<name>").
  spdlog::logger& log() const noexcept { return *logger_; }
  /// Read-only data the pipeline shares under `name` (Pipeline::share), mapped
  /// without a copy in worker processes. Available from start() on.
  std::span<const std::byte> shared_data(std::string_view name) const;

 protected:
  Element(const ElementArgs& args, std::vector<PadSpec> inputs, std::vector<PadSpec> outputs);

  /// Called where the element runs (its thread or process) before the first frame.
  virtual void start() {}
  /// Called where the element runs after EOS went through it, or when it is stopped.
  virtual void finish() {}

 private:
  friend class detail::Node;
  /// One non-blocking step of the element's work.
  virtual detail::StepResult step(detail::Node& node) = 0;

  ElementArgs args_;
  std::vector<PadSpec> inputs_;
  std::vector<PadSpec> outputs_;
  std::shared_ptr<spdlog::logger> logger_;
  const detail::SharedTable* shared_ = nullptr;
};

/// A source: one output pad "out" carrying Out. Override produce().
template <class Out>
class Source : public Element {
 public:
  /// Bytes to loan for the next frame's message (it must fit; no heap fallback).
  virtual std::size_t max_output_bytes() const { return 4096; }
  /// True if produce() sets every field and fully writes the lists it allocates
  /// (or does not care what unwritten bytes hold): the engine then zeroes only
  /// the start of reused frame memory (see FrameWriter::skip_zeroing for the rules).
  virtual bool overwrites_output() const { return false; }
  /// True if produce() allocates its lists and blobs but writes none of their
  /// elements, so they read as zeros (content that never changes): reused frame
  /// memory is then zeroed only where the structure goes, not per frame in full.
  virtual bool leaves_lists_zero() const { return false; }
  /// A live source (a sensor paced by its sample clock): the monotonic_ns() time at
  /// which the next frame is due. The engine calls produce() no earlier, and waits
  /// for it the way it waits for room or input: any stop or shutdown ends the wait
  /// at once. The default, 0, means "now".
  virtual std::int64_t next_frame_due_ns() const { return 0; }
  /// Fills `out`; returns Flow::Eos when the stream is over.
  virtual Flow produce(typename Out::Builder out, Context& ctx) = 0;

 protected:
  explicit Source(const ElementArgs& args) : Element(args, {}, {{"out", schema_type<Out>()}}) {}

 private:
  detail::StepResult step(detail::Node& node) final {
    return detail::step_source(node, max_output_bytes(), detail::output_fill(overwrites_output(), leaves_lists_zero()),
                               next_frame_due_ns(),
                               [this](FrameWriter& out, Context& ctx) { return produce(out.init<Out>(), ctx); });
  }
};

/// A transform: input pad "in" of In, output pad "out" of Out. Override process(),
/// or, when In and Out are one type, set passthrough() or in_place() (GStreamer's
/// base transform modes): then the input frame itself goes downstream, in every
/// placement, without a copy of its payload.
/// The output keeps the input's sequence number and timestamp.
template <class In, class Out>
class Transform : public Element {
 public:
  /// Bytes to loan for the output of `in` (it must fit; no heap fallback).
  virtual std::size_t max_output_bytes(typename In::Reader in) const {
    return in.totalSize().wordCount * sizeof(capnp::word) + 256;
  }
  /// As Source::overwrites_output().
  virtual bool overwrites_output() const { return false; }
  /// Builds the output of `in`. Not called for frames passed through or modified in place.
  virtual Flow process(typename In::Reader in, typename Out::Builder out, Context& ctx) {
    (void)in, (void)out, (void)ctx;
    throw Error("element '" + name() + "' overrides neither process() nor passthrough()/in_place()");
  }
  /// Asked for every frame (In and Out one type): true publishes the input frame
  /// itself, unchanged, and calls nothing else.
  virtual bool passthrough() const { return false; }
  /// Asked for every frame (In and Out one type): true calls process_in_place() with
  /// the input's message, writable, and publishes it. The payload is written where it
  /// is when this element is its only reader at that moment (a reader that has already
  /// released the frame does not count); otherwise (fan-out: another element still
  /// holds or has yet to read the same frame) it is copied first, counted in
  /// ElementStats::copies.
  virtual bool in_place() const { return false; }
  /// Modifies `data` (the input's message) in place. Values and list elements can be
  /// set; the message cannot grow (no new lists, blobs or text: that fails the frame).
  virtual Flow process_in_place(typename Out::Builder data, Context& ctx) {
    (void)data, (void)ctx;
    throw Error("element '" + name() + "' says in_place() but does not override process_in_place()");
  }

 protected:
  explicit Transform(const ElementArgs& args)
      : Element(args, {{"in", schema_type<In>()}}, {{"out", schema_type<Out>()}}) {}

 private:
  detail::StepResult step(detail::Node& node) final {
    return detail::step_transform(node, [this, &node](const Frame& in, detail::OutputLoan& out, Context& ctx) {
      if constexpr (std::is_same_v<In, Out>) {
        if (passthrough()) {
          detail::check_schema(in.header(), schema_type<In>(), detail::input_what(node, 0));
          out.forward(in);
          return Flow::Ok;
        }
        if (in_place()) {
          auto view = in.read<In>(detail::input_what(node, 0));
          if (capnp::MessageBuilder* message = out.modify_in_place(in)) {
            return process_in_place(message->getRoot<Out>(), ctx);
          }
          FrameWriter& copy = out.loan(in.header().message_bytes + 64);
          copy.message().setRoot(view.get());
          copy.header().schema_id = in.header().schema_id;
          out.count_copy();
          return process_in_place(copy.root<Out>(), ctx);
        }
      }
      auto view = in.read<In>(detail::input_what(node, 0));
      FrameWriter& writer = out.loan(max_output_bytes(view.get()),
                                     overwrites_output() ? detail::OutputFill::Overwrites : detail::OutputFill::Any);
      return process(view.get(), writer.init<Out>(), ctx);
    });
  }
};

/// A sink: input pad "in" of In. Override consume().
template <class In>
class Sink : public Element {
 public:
  /// Returning Flow::Eos ends the sink early (the pipeline treats it as done).
  virtual Flow consume(typename In::Reader in, Context& ctx) = 0;
  /// Called for gap frames; the default ignores them.
  virtual void gap(const FrameHeader& /*header*/, Context& /*ctx*/) {}

 protected:
  explicit Sink(const ElementArgs& args) : Element(args, {{"in", schema_type<In>()}}, {}) {}

 private:
  detail::StepResult step(detail::Node& node) final {
    return detail::step_sink(node, [this, &node](const Frame& in, Context& ctx) {
      if (in.gap()) {
        gap(in.header(), ctx);
        return Flow::Ok;
      }
      auto view = in.read<In>(detail::input_what(node, 0));
      return consume(view.get(), ctx);
    });
  }
};

/// An input pad as a WorkerElement sees it.
class InputPad {
 public:
  explicit InputPad(detail::Node& node, std::size_t index) noexcept : node_(node), index_(index) {}
  /// Waits for the next frame. Returns an empty optional once the worker must stop
  /// (stop request); EOS arrives as a frame with eos() set, after which nothing follows.
  std::optional<Frame> pull();
  /// The next frame if one is queued, without waiting.
  std::optional<Frame> try_pull();
  const std::string& name() const;

 private:
  detail::Node& node_;
  std::size_t index_;
};

/// An output pad as a WorkerElement sees it.
class OutputPad {
 public:
  explicit OutputPad(detail::Node& node, std::size_t index) noexcept : node_(node), index_(index) {}
  /// Loans storage for a message of up to `bytes`, from the consumers' allocator.
  FrameWriter loan(std::size_t bytes);
  /// Publishes a finished frame to every linked consumer; waits while they are full.
  /// Returns false if the worker was stopped meanwhile (the frame is dropped unsent).
  bool push(Frame frame);
  /// Finishes and publishes; sequence and timestamp are filled if left at 0.
  bool push(FrameWriter&& writer);
  bool push_gap(std::int64_t timestamp_ns);
  bool push_eos();
  const std::string& name() const;

 private:
  detail::Node& node_;
  std::size_t index_;
};

/// Everything a WorkerElement's loop gets (SGN's worker context).
class WorkerContext {
 public:
  explicit WorkerContext(detail::Node& node) noexcept : node_(node) {}
  /// Input pad by name; the only one when `pad` is empty.
  InputPad input(std::string_view pad = {});
  OutputPad output(std::string_view pad = {});
  /// End now: return from run() without draining.
  bool should_stop() const noexcept;
  /// Drain: finish the frames already queued, then return.
  bool should_shutdown() const noexcept;
  spdlog::logger& log() const noexcept;
  /// Read-only data the pipeline shares under `name` (Pipeline::share).
  std::span<const std::byte> shared(std::string_view name) const;
  /// Counts `n` payload copies the element made itself (a frame built from bytes that
  /// came from outside, e.g. a network) in ElementStats::copies.
  void count_copies(std::uint64_t n) noexcept;
  /// State kept for the element's life, made on first use.
  template <class T>
  T& state() {
    if (!state_.has_value()) state_ = T{};
    return std::any_cast<T&>(state_);
  }

 private:
  detail::Node& node_;
  std::any state_;
};

/// An element that owns its loop: run() pulls and pushes until EOS or a stop.
/// Unpushed outputs get EOS when run() returns. Runs in a worker thread or process.
class WorkerElement : public Element {
 public:
  std::vector<Placement> placements() const override { return {Placement::Thread, Placement::Process}; }

 protected:
  using Element::Element;
  virtual void run(WorkerContext& ctx) = 0;

 private:
  detail::StepResult step(detail::Node& node) final;
};

}  // namespace sgn
