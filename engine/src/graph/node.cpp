#include "graph/node.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include "sgn/error.hpp"

namespace sgn::detail {

void RunControl::notify_all() noexcept {
  all_wakers.notify_all();
  notifying.fetch_add(1);  // before wake_fd is read: withdraw_wake_fd() waits for it
  if (const int fd = wake_fd.load(); fd >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(fd, &one, sizeof one);
  }
  notifying.fetch_sub(1);
}

void RunControl::withdraw_wake_fd() noexcept {
  if (wake_fd.exchange(-1) < 0) return;
  // Either a notify_all() counted itself before this exchange, or it reads -1 (both
  // seq_cst). One under way is a non-blocking write away from done.
  while (notifying.load() != 0) sched_yield();
}

Node::Node(std::unique_ptr<Element> element, Placement placement, RunControl& control)
    : element_(std::move(element)), name_(element_->name()), placement_(placement), control_(control), waker_(control.main_waker) {
  pid_ = ::getpid();
}

void Node::start() {
  element_->log().debug("starting ({}, pid {})", to_string(placement_), ::getpid());
  element_->start();
  // An element that owns its loop (WorkerElement) pushes and pulls without coming back
  // to the step loop, so nothing would flush its deferred wakes: it wakes at once.
  if (dynamic_cast<const WorkerElement*>(element_.get()) == nullptr) {
    defers_wakes_ = true;
    for (OutputPort& out : outputs) {
      for (FrameSender* sender : out.senders) sender->defer_consumer_wakes();
    }
    for (InputPort& in : inputs) {
      if (in.receiver) in.receiver->defer_producer_wakes();
    }
  }
}

void Node::finish() noexcept {
  if (finished_called_) return;
  finished_called_ = true;
  element_->log().debug("ending: {} frame(s) in, {} out", counters_->frames_in.load(std::memory_order_relaxed),
                        counters_->frames_out.load(std::memory_order_relaxed));
  try {
    element_->finish();
  } catch (...) {
    // The element's last hook failed: the run fails naming it, like any other hook.
    if (!error) error = std::current_exception();
    control_.failed.store(true);
    control_.notify_all();
  }
  if (const auto discarded = counters_->discarded.load(std::memory_order_relaxed); discarded != 0) {
    element_->log().warn("{} frame(s) arrived after the element ended and were discarded", discarded);
  }
}

StepResult Node::step() {
  if (phase_ == Phase::Running) {
    const StepResult result = element_->step(*this);
    if (result != StepResult::Done) return result;
    phase_ = Phase::Draining;
    ended_.store(true, std::memory_order_release);
    control_.main_waker->notify();
  }
  if (phase_ == Phase::Draining) {
    if (!publish_eos(false)) return StepResult::WaitOutput;
    bool progress = false;
    bool open = false;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      Frame frame;
      while (!inputs[i].ended && inputs[i].receiver->try_pop(frame)) {
        progress = true;
        if (frame.eos()) {
          inputs[i].eos = inputs[i].ended = true;
        } else if (!frame.gap()) {
          add_discarded(1);
        }
      }
      if (!inputs[i].ended && inputs[i].receiver->closed() && inputs[i].receiver->size() == 0) {
        inputs[i].ended = true;
      }
      open = open || !inputs[i].ended;
    }
    if (open) return progress ? StepResult::Progress : StepResult::WaitInput;
    phase_ = Phase::Finished;
  }
  return StepResult::Done;
}

bool Node::output_has_space(std::size_t output) const noexcept {
  for (const FrameSender* sender : outputs[output].senders) {
    if (!sender->has_space()) return false;
  }
  return true;
}

bool Node::outputs_have_space() const noexcept {
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    if (!output_has_space(o)) return false;
  }
  return true;
}

bool Node::pop(std::size_t index, Frame& out) {
  InputPort& in = inputs[index];
  if (in.ended) return false;
  if (!in.receiver->try_pop(out)) {
    // Closed means the producer pushed its last frame before closing: look once more.
    if (!in.receiver->closed() || !in.receiver->try_pop(out)) {
      if (in.receiver->closed()) in.ended = true;
      return false;
    }
  }
  const FrameHeader& h = out.header();
  current_pad_ = in.pad;
  current_sequence_ = h.sequence;
  if (h.flags & kFrameEos) {
    in.eos = in.ended = true;
  } else if (h.flags & kFrameGap) {
    NodeCounters::add(counters_->gaps);
  } else {
    NodeCounters::add(counters_->frames_in);
    NodeCounters::add(counters_->bytes_in, h.message_bytes);
    if (outputs.empty()) {
      control_.sink_frames.fetch_add(1, std::memory_order_relaxed);
      control_.sink_bytes.fetch_add(h.message_bytes, std::memory_order_relaxed);
    }
    // One clock read per 10 us of stream time at most: every frame of a slow stream,
    // an even sample of a fast one (the source's timestamps pace it, for free).
    if (h.timestamp_ns - last_latency_sample_ns_ >= kLatencySampleSpacingNs || h.timestamp_ns < last_latency_sample_ns_) {
      last_latency_sample_ns_ = h.timestamp_ns;
      latency_.record(monotonic_ns() - h.timestamp_ns);
    }
  }
  return true;
}

FrameWriter Node::loan(std::size_t output, std::size_t bytes) {
  OutputPort& out = outputs.at(output);
  if (inputs.empty()) {
    // A source's failures are about the frame it is making; others' about the one they took in.
    current_pad_ = out.pad;
    current_sequence_ = out.next_sequence;
  }
  return out.allocator->loan(bytes, out.what);
}

void Node::stamp(std::size_t output, FrameHeader& header, const FrameHeader* input) {
  OutputPort& out = outputs[output];
  if (input) {
    header.sequence = input->sequence;
    header.timestamp_ns = input->timestamp_ns;
    out.next_sequence = input->sequence + 1;
  } else {
    if (header.sequence == 0) header.sequence = out.next_sequence;
    out.next_sequence = header.sequence + 1;
    if (header.timestamp_ns == 0) header.timestamp_ns = monotonic_ns();
  }
}

void Node::publish(std::size_t output, Frame frame) {
  OutputPort& out = outputs[output];
  const std::uint32_t flags = frame.header().flags;
  const std::uint64_t bytes = frame.header().message_bytes;
  const std::size_t n = out.senders.size();
  for (std::size_t i = 0; i < n; ++i) {
    Frame copy = (i + 1 == n) ? std::move(frame) : frame;
    if (!out.senders[i]->try_push(copy)) {
      throw std::logic_error(fmt::format("{}: channel full on publish (the caller must check for room)", out.what));
    }
  }
  // Counted once it is on its links: a frame that never left is nobody's to account for.
  if (flags & kFrameEos) {
    out.eos_sent = true;
  } else if (flags & kFrameGap) {
    if (inputs.empty()) NodeCounters::add(counters_->gaps);  // elements with inputs counted it on arrival
  } else {
    NodeCounters::add(counters_->frames_out);
    NodeCounters::add(counters_->bytes_out, bytes);
  }
}

bool Node::publish_waiting(std::size_t output, Frame frame) {
  if (!wait_until([&] { return output_has_space(output); })) return false;
  publish(output, std::move(frame));
  return true;
}

bool Node::publish_eos(bool wait) {
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    if (outputs[o].eos_sent) continue;
    if (!wait && !output_has_space(o)) return false;
    FrameWriter writer = loan(o, 0);
    stamp(o, writer.header(), nullptr);
    if (!publish_waiting(o, writer.finish(kFrameEos))) return false;
  }
  return true;
}

void Node::close_outputs() noexcept {
  flush_wakes();
  for (auto& out : outputs) {
    for (FrameSender* sender : out.senders) sender->close();
  }
}

ElementStats Node::stats() const {
  ElementStats s;
  s.name = name_;
  s.type_name = element_ ? element_->type_name() : std::string();
  s.placement = placement_;
  s.pid = pid_;
  const NodeCounters& c = *counters_;
  s.frames_in = c.frames_in.load(std::memory_order_relaxed);
  s.frames_out = c.frames_out.load(std::memory_order_relaxed);
  s.bytes_in = c.bytes_in.load(std::memory_order_relaxed);
  s.bytes_out = c.bytes_out.load(std::memory_order_relaxed);
  s.gaps = c.gaps.load(std::memory_order_relaxed);
  s.discarded = c.discarded.load(std::memory_order_relaxed);
  s.copies = c.copies.load(std::memory_order_relaxed);
  for (const auto& out : outputs) {
    for (const FrameSender* sender : out.senders) s.copies += sender->copies();
  }
  s.latency_p50_us = latency_.quantile(0.50) / 1000.0;
  s.latency_p99_us = latency_.quantile(0.99) / 1000.0;
  return s;
}

}  // namespace sgn::detail
