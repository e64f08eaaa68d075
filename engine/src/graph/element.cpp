#include "sgn/element.hpp"

#include <fmt/format.h>

#include <ranges>

#include "frames/frame_access.hpp"
#include "frames/segment_builder.hpp"
#include "graph/node.hpp"
#include "sgn/closest_name.hpp"
#include "sgn/error.hpp"
#include "sgn/logging.hpp"

namespace sgn {

using detail::Node;
using detail::StepResult;

Element::Element(const ElementArgs& args, std::vector<PadSpec> inputs, std::vector<PadSpec> outputs)
    : args_(args), inputs_(std::move(inputs)), outputs_(std::move(outputs)), logger_(sgn::logger(args.name)) {}

Element::~Element() = default;

namespace {
// The one place a pad name becomes an index (Pipeline::link, parse_launch and
// WorkerContext all come here).
std::size_t pad_index(const Element& element, const std::vector<PadSpec>& pads, std::string_view pad,
                      std::string_view kind) {
  auto names = pads | std::views::transform(&PadSpec::name);
  if (pads.empty()) {
    throw ValidationError(fmt::format("element '{}' ({}) has no {} pads", element.name(), element.type_name(), kind));
  }
  if (pad.empty()) {
    if (pads.size() == 1) return 0;
    throw ValidationError(fmt::format("element '{}' ({}) has several {} pads ({}): name one as '{}:<pad>'",
                                      element.name(), element.type_name(), kind, fmt::join(names, ", "),
                                      element.name()));
  }
  for (std::size_t i = 0; i < pads.size(); ++i) {
    if (pads[i].name == pad) return i;
  }
  const std::string best = closest_name(pad, {names.begin(), names.end()});
  throw ValidationError(fmt::format("element '{}' ({}) has no {} pad '{}' (it has: {}){}", element.name(),
                                    element.type_name(), kind, pad, fmt::join(names, ", "),
                                    best.empty() ? "" : fmt::format("; did you mean '{}'?", best)));
}
}  // namespace

std::size_t Element::input_index(std::string_view pad) const { return pad_index(*this, inputs_, pad, "input"); }
std::size_t Element::output_index(std::string_view pad) const { return pad_index(*this, outputs_, pad, "output"); }

std::span<const std::byte> Element::shared_data(std::string_view name) const {
  if (shared_) {
    if (auto it = shared_->find(name); it != shared_->end()) return it->second;
  }
  if (!shared_ || shared_->empty()) {
    throw Error(fmt::format("element '{}': no shared data named '{}' (the pipeline shares nothing)", args_.name, name));
  }
  throw Error(fmt::format("element '{}': no shared data named '{}' (the pipeline shares: {})", args_.name, name,
                          fmt::join(*shared_ | std::views::keys, ", ")));
}

std::span<const std::byte> Context::shared(std::string_view name) const {
  return node_.element().shared_data(name);
}

bool Context::eos_requested() const noexcept {
  return node_.control().eos_requested.load(std::memory_order_relaxed);
}
spdlog::logger& Context::log() const noexcept { return node_.element().log(); }
const std::string& Context::element_name() const noexcept { return node_.name(); }

namespace detail {

OutputFill output_fill(bool overwrites, bool lists_untouched) noexcept {
  return overwrites ? OutputFill::Overwrites : lists_untouched ? OutputFill::Untouched : OutputFill::Any;
}

namespace {
void apply_fill(FrameWriter& writer, OutputFill fill) noexcept {
  if (fill == OutputFill::Overwrites) writer.skip_zeroing();
  if (fill == OutputFill::Untouched) writer.leave_lists_zero();
}
}  // namespace

OutputLoan::OutputLoan(Node& node) noexcept : node_(node) {}
OutputLoan::~OutputLoan() = default;

FrameWriter& OutputLoan::loan(std::size_t bytes, OutputFill fill) {
  writer_ = node_.loan(0, bytes);
  apply_fill(writer_, fill);
  return writer_;
}

void OutputLoan::forward(const Frame& in) { forwarded_ = in; }

capnp::MessageBuilder* OutputLoan::modify_in_place(const Frame& in) {
  // A copied message was validated when read, not trusted: it is not modified in place.
  if (!(in.header().flags & kFrameBuiltInPlace) || !FrameAccess::sole_reader(in)) return nullptr;
  FrameStorage* storage = FrameAccess::storage(in);
  const std::size_t bytes = in.header().message_bytes;
  // Whoever builds in this memory next must zero what this element may write.
  storage->set_dirty_bytes(std::max(storage->dirty_bytes(), bytes));
  in_place_ = std::make_unique<InPlaceBuilder>(storage->payload(), bytes, &node_.outputs[0].what);
  forwarded_ = in;
  return in_place_.get();
}

void OutputLoan::count_copy() noexcept { node_.add_copies(1); }

namespace {
void publish_gap(Node& node, const FrameHeader* input) {
  for (std::size_t o = 0; o < node.outputs.size(); ++o) {
    FrameWriter gap = node.loan(o, 0);
    node.stamp(o, gap.header(), input);
    node.publish(o, gap.finish(kFrameGap));
  }
}
}  // namespace

StepResult step_source(Node& node, std::size_t output_bytes, OutputFill fill, std::int64_t due_ns,
                       const BuildFn& build) {
  if (!node.outputs_have_space()) return StepResult::WaitOutput;
  if (node.control().eos_requested.load(std::memory_order_relaxed)) return StepResult::Done;
  if (due_ns != 0) {
    node.set_wake_at_ns(due_ns);  // also marks the node as paced: one frame per visit, no bursts
    if (due_ns > monotonic_ns()) return StepResult::WaitTime;
  }
  FrameWriter writer = node.loan(0, output_bytes);
  apply_fill(writer, fill);
  Context ctx(node, nullptr);
  switch (build(writer, ctx)) {
    case Flow::Ok:
      node.stamp(0, writer.header(), nullptr);
      node.publish(0, writer.finish());
      return StepResult::Progress;
    case Flow::Gap:
      node.stamp(0, writer.header(), nullptr);
      node.publish(0, writer.finish(kFrameGap));
      return StepResult::Progress;
    case Flow::Skip:
      return StepResult::Progress;
    case Flow::Eos:
      return StepResult::Done;
  }
  return StepResult::Done;
}

StepResult step_transform(Node& node, const TransformFn& transform) {
  if (!node.outputs_have_space()) return StepResult::WaitOutput;
  Frame in;
  if (!node.pop(0, in)) return node.inputs[0].ended ? StepResult::Done : StepResult::WaitInput;
  if (in.eos()) return StepResult::Done;
  if (in.gap()) {
    publish_gap(node, &in.header());
    return StepResult::Progress;
  }
  OutputLoan out(node);
  Context ctx(node, &in.header());
  const Flow flow = transform(in, out, ctx);
  switch (flow) {
    case Flow::Ok:
      if (Frame& forwarded = out.forwarded()) {
        node.note_forward(0, in.header());
        in = Frame();  // the output is the only handle this element keeps
        node.publish(0, std::move(forwarded));
        return StepResult::Progress;
      }
      if (!out.writer()) {
        throw FrameError(fmt::format("element '{}' returned Flow::Ok without an output frame", node.name()));
      }
      node.stamp(0, out.writer().header(), &in.header());
      node.publish(0, out.writer().finish());
      return StepResult::Progress;
    case Flow::Gap:
      publish_gap(node, &in.header());
      return StepResult::Progress;
    case Flow::Skip:
      return StepResult::Progress;
    case Flow::Eos:
      return StepResult::Done;
  }
  return StepResult::Done;
}

const std::string& input_what(const Node& node, std::size_t index) noexcept { return node.inputs[index].what; }

StepResult step_sink(Node& node, const ConsumeFn& consume) {
  Frame in;
  if (!node.pop(0, in)) return node.inputs[0].ended ? StepResult::Done : StepResult::WaitInput;
  if (in.eos()) return StepResult::Done;
  Context ctx(node, &in.header());
  return consume(in, ctx) == Flow::Eos ? StepResult::Done : StepResult::Progress;
}

}  // namespace detail

std::optional<Frame> InputPad::pull() {
  Frame frame;
  const bool got = node_.wait_until([&] { return node_.pop(index_, frame) || node_.inputs[index_].ended; });
  if (!got || !frame) return std::nullopt;
  return frame;
}

std::optional<Frame> InputPad::try_pull() {
  Frame frame;
  if (!node_.pop(index_, frame)) return std::nullopt;
  return frame;
}

const std::string& InputPad::name() const { return node_.inputs[index_].pad; }

FrameWriter OutputPad::loan(std::size_t bytes) { return node_.loan(index_, bytes); }

bool OutputPad::push(Frame frame) { return node_.publish_waiting(index_, std::move(frame)); }

bool OutputPad::push(FrameWriter&& writer) {
  node_.stamp(index_, writer.header(), nullptr);
  return push(writer.finish());
}

bool OutputPad::push_gap(std::int64_t timestamp_ns) {
  FrameWriter writer = loan(0);
  writer.header().timestamp_ns = timestamp_ns;
  node_.stamp(index_, writer.header(), nullptr);
  return push(writer.finish(kFrameGap));
}

bool OutputPad::push_eos() {
  if (node_.outputs[index_].eos_sent) return true;
  FrameWriter writer = loan(0);
  node_.stamp(index_, writer.header(), nullptr);
  return push(writer.finish(kFrameEos));
}

const std::string& OutputPad::name() const { return node_.outputs[index_].pad; }

InputPad WorkerContext::input(std::string_view pad) {
  return InputPad(node_, node_.element().input_index(pad));
}

OutputPad WorkerContext::output(std::string_view pad) {
  return OutputPad(node_, node_.element().output_index(pad));
}

bool WorkerContext::should_stop() const noexcept {
  // In a worker process, commands from main arrive on its control topic: a loop that
  // only polls this must still see them.
  return node_.control().ending_after_commands();
}

bool WorkerContext::should_shutdown() const noexcept {
  if (node_.control().poll_commands) node_.control().poll_commands();
  return node_.control().eos_requested.load(std::memory_order_relaxed);
}

spdlog::logger& WorkerContext::log() const noexcept { return node_.element().log(); }

void WorkerContext::count_copies(std::uint64_t n) noexcept { node_.add_copies(n); }

std::span<const std::byte> WorkerContext::shared(std::string_view name) const {
  return node_.element().shared_data(name);
}

detail::StepResult WorkerElement::step(detail::Node& node) {
  WorkerContext ctx(node);
  run(ctx);
  if (!node.control().ending()) node.publish_eos(true);
  return StepResult::Done;
}

}  // namespace sgn
