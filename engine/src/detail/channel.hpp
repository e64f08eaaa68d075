#pragma once
// The transport seams: a link between two pads is a FrameChannel, and frames for
// it are loaned from a FrameAllocator chosen by the consumer side. Thread mode
// implements both in memory; process mode implements them over shared memory.

#include <cstddef>
#include <cstdint>
#include <string>

#include "sgn/frame.hpp"

namespace sgn::detail {

class Waker;

/// One producer, one consumer, bounded, lossless.
class FrameChannel {
 public:
  virtual ~FrameChannel() = default;
  /// Moves `frame` in if there is room; returns false (frame untouched) if full.
  virtual bool try_push(Frame& frame) = 0;
  virtual bool has_space() const noexcept = 0;
  /// Moves the oldest frame into `out`; false if empty.
  virtual bool try_pop(Frame& out) = 0;
  virtual std::size_t size() const noexcept = 0;
  /// Producer is gone (after EOS, or on an error); pops still drain what is queued.
  virtual void close() noexcept = 0;
  virtual bool closed() const noexcept = 0;
  /// Who to wake: the consumer when a frame arrives, the producer when room appears.
  virtual void set_wakers(Waker* consumer, Waker* producer) noexcept = 0;
  /// Payload copies this channel made (0 for every zero-copy path).
  virtual std::uint64_t copies() const noexcept { return 0; }
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
