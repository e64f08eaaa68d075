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
