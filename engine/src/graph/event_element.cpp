#include "sgn/event_element.hpp"

#include "common/waker.hpp"
#include "graph/node.hpp"

namespace sgn {

using detail::Node;
using detail::StepResult;

void Wakeup::operator()() const noexcept { static_cast<detail::Waker*>(waker_)->notify(); }

std::optional<Frame> PollContext::try_pull(std::size_t input) { return InputPad(node_, input).try_pull(); }

bool PollContext::has_room(std::size_t output) const noexcept { return node_.output_has_space(output); }

FrameWriter PollContext::loan(std::size_t bytes, std::size_t output) { return node_.loan(output, bytes); }

void PollContext::push(FrameWriter&& writer, std::uint32_t flags, std::size_t output) {
  node_.stamp(output, writer.header(), nullptr);
  node_.publish(output, writer.finish(flags));
}

void PollContext::push(Frame frame, std::size_t output) {
  node_.note_forward(output, frame.header());
  node_.publish(output, std::move(frame));
}

void PollContext::count_copies(std::uint64_t n) noexcept { node_.add_copies(n); }

bool PollContext::eos_requested() const noexcept {
  return node_.control().eos_requested.load(std::memory_order_relaxed);
}

Wakeup PollContext::wakeup() const noexcept { return Wakeup(&node_.waker()); }

spdlog::logger& PollContext::log() const noexcept { return node_.element().log(); }

StepResult EventElement::step(Node& node) {
  node.set_wake_at_ns(0);  // a time to wake at holds for one Idle only
  PollContext ctx(node);
  switch (poll(ctx)) {
    case Poll::Progress:
      return StepResult::Progress;
    case Poll::Done:
      return StepResult::Done;
    case Poll::Idle:
      break;
  }
  if (ctx.wake_at_ns() == 0) return StepResult::WaitInput;
  node.set_wake_at_ns(ctx.wake_at_ns());
  return StepResult::WaitTime;
}

}  // namespace sgn
