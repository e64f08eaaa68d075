#pragma once
// The shared-memory block of one pipeline instance: one waker per node (so a
// producer in one process can wake a consumer in another, and back), the
// published/consumed counters of every cross-process link (credit-based room:
// a producer never publishes more than queue_maxsize frames ahead, so an
// iceoryx publish never blocks and the main loop never deadlocks on a worker),
// each node's counters (read by main even after a worker died), and a flag that
// marks the instance poisoned once a process of it died inside iceoryx.

#include <atomic>
#include <cstdint>
#include <string>

#include "common/shm_segment.hpp"
#include "common/waker.hpp"
#include "graph/node.hpp"

namespace sgn::detail {

struct alignas(64) LinkCounters {
  std::atomic<std::uint64_t> published{0};       // every frame, EOS and gaps included (credits)
  std::atomic<std::uint64_t> data_published{0};  // data frames only (accounting)
  alignas(64) std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> data_consumed{0};
  // Set by the producer when it found the link full; the consumer's next pop clears it
  // and wakes the producer. On a line of its own: the consumer reads it on every pop,
  // the producer writes it only when it has to wait.
  alignas(64) std::atomic<std::uint32_t> room_wanted{0};
};

/// Frames an output forwards by reference at once (see IoxOutput): each slot counts
/// the readers that still hold the forwarded frame.
inline constexpr std::uint32_t kForwardSlots = 128;
struct alignas(64) ForwardSlots {
  std::atomic<std::uint32_t> readers[kForwardSlots] = {};
};

/// Bits of SharedWaker::commands: the commands main sent a node's worker, in the block
/// itself, so that one sent before the worker subscribed to the command topic (a stop
/// while it starts) is not lost with the topic's message.
inline constexpr std::uint32_t kCommandStart = 1;
inline constexpr std::uint32_t kCommandStop = 2;
inline constexpr std::uint32_t kCommandShutdown = 4;

struct alignas(64) SharedWaker {
  Waker waker;
  std::atomic<std::uint32_t> commands{0};  // kCommand* bits main sent and the worker has not taken yet
};

class ControlBlock {
 public:
  ControlBlock() = default;
  static ControlBlock create(const std::string& name, std::uint32_t nodes, std::uint32_t links);
  static ControlBlock open(const std::string& name);

  Waker& waker(std::uint32_t node) const;
  /// The kCommand* bits main sent the node's worker that it has not taken yet.
  std::atomic<std::uint32_t>& commands(std::uint32_t node) const;
  LinkCounters& link(std::uint32_t index) const;
  /// Counters of node `node`, written by the process that runs it.
  NodeCounters& counters(std::uint32_t node) const;
  /// Readers left of frame `slot` forwarded on the output whose first link is `link`.
  std::atomic<std::uint32_t>& forward_slot(std::uint32_t link, std::uint32_t slot) const;
  /// A process of this instance died without unregistering from RouDi (see iox_runtime.hpp):
  /// the others abandon their ports of this instance instead of destroying them.
  void mark_poisoned() const noexcept { header()->poisoned.store(1, std::memory_order_release); }
  bool poisoned() const noexcept { return header()->poisoned.load(std::memory_order_acquire) != 0; }
  std::uint32_t nodes() const noexcept { return header()->nodes; }
  std::uint32_t links() const noexcept { return header()->links; }
  const std::string& name() const noexcept { return segment_.name(); }

 private:
  struct Header {
    std::uint64_t magic;
    std::uint32_t nodes;
    std::uint32_t links;
    std::atomic<std::uint32_t> poisoned;
  };
  static constexpr std::uint64_t kMagic = 0x73676e2d63746c33;  // "sgn-ctl3"
  static std::size_t bytes_for(std::uint32_t nodes, std::uint32_t links);
  SharedWaker& slot(std::uint32_t node) const;
  std::byte* base() const noexcept { return static_cast<std::byte*>(segment_.data()); }
  Header* header() const noexcept { return static_cast<Header*>(segment_.data()); }
  ShmSegment segment_;
};

}  // namespace sgn::detail
