#pragma once
/// Elements driven by the world outside the pipeline: a network reader, a socket, a
/// device. The engine polls them like any other element, in every placement (the main
/// thread included, beside other elements): poll() never blocks, and a callback on a
/// library's own thread wakes the loop that polls it through a Wakeup.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "sgn/element.hpp"

namespace sgn {

/// What EventElement::poll() did.
enum class Poll {
  Progress,  ///< it moved something: poll again soon
  Idle,      ///< nothing to do until a frame arrives, an output gets room, the Wakeup is
             ///< called, or the time given to PollContext::wake_at() comes
  Done,      ///< its work is over: EOS goes out on every output
};

/// Makes the engine poll an element again: callable from any thread (a library's
/// callback), any number of times, and async-signal-safe. Valid from the first poll()
/// until finish() returns: unregister the callbacks that use it in finish() at the latest.
class Wakeup {
 public:
  void operator()() const noexcept;

 private:
  friend class PollContext;
  explicit Wakeup(void* waker) noexcept : waker_(waker) {}
  void* waker_;
};

/// Everything one poll() gets. Nothing in it waits.
class PollContext {
 public:
  explicit PollContext(detail::Node& node) noexcept : node_(node) {}

  /// The next frame queued on input `input`, EOS included (see Frame::eos()), if any.
  std::optional<Frame> try_pull(std::size_t input = 0);
  /// Room on every link of output `output` for one more frame.
  bool has_room(std::size_t output = 0) const noexcept;
  /// Loans storage for a message of up to `bytes`, from the consumers' allocator.
  FrameWriter loan(std::size_t bytes, std::size_t output = 0);
  /// Publishes a finished writer (`flags`: 0, or kFrameGap): sequence and timestamp are
  /// filled if left at 0. There must be room (has_room()): a full output is a logic error.
  void push(FrameWriter&& writer, std::uint32_t flags = 0, std::size_t output = 0);
  /// Publishes a finished frame with the header it has (a frame that carries on a stream
  /// from outside keeps that stream's sequence numbers). There must be room.
  void push(Frame frame, std::size_t output = 0);
  /// Counts `n` payload copies the element made (a frame built from bytes that came from
  /// outside, e.g. a network) in ElementStats::copies.
  void count_copies(std::uint64_t n) noexcept;
  /// The pipeline asked its sources to end (Ctrl+C, shutdown): a source drains what it
  /// already holds and returns Poll::Done.
  bool eos_requested() const noexcept;
  /// With Poll::Idle: poll again at `at_ns` (monotonic_ns()) at the latest.
  void wake_at(std::int64_t at_ns) noexcept { wake_at_ns_ = at_ns; }
  std::int64_t wake_at_ns() const noexcept { return wake_at_ns_; }
  /// The handle a library's callback calls when something happened.
  Wakeup wakeup() const noexcept;
  spdlog::logger& log() const noexcept;

 private:
  detail::Node& node_;
  std::int64_t wake_at_ns_ = 0;
};

/// Override poll(). Its hooks start() and finish() run where poll() runs.
class EventElement : public Element {
 protected:
  using Element::Element;
  /// One non-blocking look at the element's inputs, outputs and outside world.
  virtual Poll poll(PollContext& ctx) = 0;

 private:
  detail::StepResult step(detail::Node& node) final;
};

}  // namespace sgn
