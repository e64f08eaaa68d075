#pragma once
// The transport seams: a link between two pads has a FrameSender at the producer and
// a FrameReceiver at the consumer, and frames for it are loaned from a FrameAllocator
// chosen by the transport. Thread mode implements them in memory (one SpscChannel is
// both ends); process mode over shared memory (IoxOutput and IoxInput).

#include <cstddef>
#include <cstdint>
#include <string>

#include "sgn/frame.hpp"

namespace sgn::detail {

/// The producer's end of a link: bounded, lossless, one producer.
class FrameSender {
 public:
  virtual ~FrameSender() = default;
  /// Moves `frame` in if there is room; returns false (frame untouched) if full.
  virtual bool try_push(Frame& frame) = 0;
  virtual bool has_space() const noexcept = 0;
  /// The producer is gone (after EOS, or on an error); the consumer still drains
  /// what is queued. A no-op where EOS is the only end a consumer sees.
  virtual void close() noexcept {}
  /// Payload copies this sender made (0 for every zero-copy path).
  virtual std::uint64_t copies() const noexcept { return 0; }
  /// From now on, pushes leave waking the consumer to flush_consumer_wake(): a loop that
  /// pushes a burst of frames wakes (and fences) once, not once a frame. Where it is not
  /// implemented every push wakes, as before.
  virtual void defer_consumer_wakes() noexcept {}
  /// Wakes the consumer if a deferred push has not yet done so.
  virtual void flush_consumer_wake() noexcept {}
};

/// The consumer's end of a link.
class FrameReceiver {
 public:
  virtual ~FrameReceiver() = default;
  /// Moves the oldest frame into `out`; false if none is queued.
  virtual bool try_pop(Frame& out) = 0;
  /// Frames queued now.
  virtual std::size_t size() const noexcept = 0;
  /// The producer closed its end (FrameSender::close); pops still drain the queue.
  virtual bool closed() const noexcept { return false; }
  /// As FrameSender's: pops leave waking a producer that waits for room to flush_producer_wake().
  virtual void defer_producer_wakes() noexcept {}
  virtual void flush_producer_wake() noexcept {}
};

/// Thrown inside a worker when a stop request interrupts a wait (not an error).
struct StopRequested {};

/// Loans storage for frames.
class FrameAllocator {
 public:
  virtual ~FrameAllocator() = default;
  /// A writer over at least `message_bytes` of zeroed payload. `what` names the pad.
  virtual FrameWriter loan(std::size_t message_bytes, const std::string& what) = 0;
};

}  // namespace sgn::detail
