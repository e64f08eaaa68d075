#pragma once
// Frames over iceoryx: a frame is one chunk, [FrameHeader | marker | Cap'n Proto
// segment], built in place by the producer and read in place by the consumers.
// Only the chunk handle crosses processes. Room is credit-based (published vs
// consumed counters in the control block), wake-ups go through the consumers'
// and producer's shared wakers, and the iceoryx queues are lossless
// (WAIT_FOR_CONSUMER + BLOCK_PRODUCER) as a second line of defence.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "frames/frame_channel.hpp"
#include "process/control_block.hpp"
#include "process/iox_runtime.hpp"
#include "roudi/mempool_table.hpp"

namespace sgn::detail {

/// Bytes before the Cap'n Proto segment in a chunk.
constexpr std::size_t kChunkPrefixBytes = 64;

/// Identifies a topic: ("sgn", <pipeline instance>, <event>).
struct Topic {
  std::string instance;
  std::string event;
};

/// The producer side of one output pad: loans chunks and publishes them to every linked consumer.
class IoxOutput final : public FrameAllocator, public FrameSender {
 public:
  struct Link {
    std::uint32_t counter;  // index in the control block
    Waker* consumer;        // woken on publish
  };
  /// `publishers`: shared-memory output pads of the whole pipeline, which draw on the same pools.
  /// `stopped`: asked while a loan waits for a dry pool; true ends the wait (StopRequested).
  /// A worker's reads main's commands there: its step loop, which does so otherwise, waits.
  IoxOutput(const Topic& topic, const ControlBlock& block, std::vector<Link> links, std::size_t queue_maxsize,
            const MempoolTable& mempools, std::size_t publishers, std::function<bool()> stopped);
  ~IoxOutput() override;

  FrameWriter loan(std::size_t message_bytes, const std::string& what) override;
  bool try_push(Frame& frame) override;
  bool has_space() const noexcept override;
  /// Frames in flight on the fullest link.
  std::size_t size() const noexcept;
  std::uint64_t copies() const noexcept override { return copies_; }
  /// Every linked consumer has subscribed.
  bool connected() const;
  /// Leaves the iceoryx port as it is, never destroyed (see iox_runtime.hpp).
  void abandon() noexcept;
  /// Frames of other publishers this output forwards by reference and holds for its readers.
  std::size_t forwards_held() noexcept;
  /// Before its inputs go: waits on `waker` until every reader of a forwarded frame
  /// released it, `give_up()` says stop, or `limit` passed; then drops them all.
  void release_forwards(Waker& waker, const std::function<bool()>& give_up, std::chrono::milliseconds limit);
  /// Drops the forwarded frames now (their readers are gone); before the inputs that took them go.
  void drop_forwards() noexcept;

  class Loan;

 private:
  std::byte* loan_chunk(std::size_t message_bytes, const std::string& what);
  void fit_window(std::size_t chunk_bytes);
  void publish_chunk(void* payload, bool data);
  /// Publishes a reference to `frame`'s chunk (a chunk of another publisher, received
  /// here) and holds the frame until its readers are done. False: a copy is needed.
  bool try_forward(Frame& frame, bool data);
  void sweep_forwards() const noexcept;
  /// Every forward slot is held: wait for one (room), for up to kSlotWait, then copy.
  bool slots_full() const noexcept;
  struct Port;
  OwnedPort<Port> port_;
  std::vector<Link> links_;
  const ControlBlock& block_;
  std::size_t queue_maxsize_;
  std::size_t window_;  // frames in flight per link: queue_maxsize, less if the pool is small
  bool window_logged_ = false;
  const MempoolTable& mempools_;
  std::size_t publishers_;
  std::function<bool()> stopped_;
  std::uint64_t copies_ = 0;
  mutable std::vector<Frame> forwarded_;  // by slot; empty: free
  mutable std::size_t forwards_held_ = 0;
  mutable std::int64_t slots_full_since_ns_ = 0;  // 0: not full
  mutable std::vector<std::uint64_t> consumed_seen_;  // by link: its consumed count when last read
};

/// The consumer side of one input pad.
class IoxInput final : public FrameReceiver {
 public:
  IoxInput(const Topic& topic, const ControlBlock& block, std::uint32_t counter, Waker* producer,
           std::size_t queue_maxsize, std::string what);
  ~IoxInput() override;

  bool try_pop(Frame& out) override;
  std::size_t size() const noexcept override;
  /// The subscription is live (the producer's publisher was found).
  bool connected() const;
  void release(const void* payload) noexcept;
  /// Chunks taken and not yet released: iceoryx allows 256 per subscriber.
  std::uint32_t held() const noexcept { return held_.load(std::memory_order_relaxed); }
  /// Leaves the iceoryx port as it is, never destroyed (see iox_runtime.hpp).
  void abandon() noexcept;

 private:
  struct Port;
  OwnedPort<Port> port_;
  const ControlBlock& block_;
  std::uint32_t counter_;
  Waker* producer_;
  std::string what_;
  std::mutex release_mutex_;  // frames may be dropped on another thread than the one taking them
  std::atomic<std::uint32_t> held_{0};
};

}  // namespace sgn::detail
