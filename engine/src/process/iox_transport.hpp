#pragma once
// Frames over iceoryx: a frame is one chunk, [FrameHeader | marker | Cap'n Proto
// segment], built in place by the producer and read in place by the consumers.
// Only the chunk handle crosses processes. Room is credit-based (published vs
// consumed counters in the control block), wake-ups go through the consumers'
// and producer's shared wakers, and the iceoryx queues are lossless
// (WAIT_FOR_CONSUMER + BLOCK_PRODUCER) as a second line of defence.

#include <cstdint>
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
  IoxOutput(const Topic& topic, const ControlBlock& block, std::vector<Link> links, std::size_t queue_maxsize,
            const MempoolTable& mempools, std::size_t publishers, const std::atomic<bool>* stop);
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

  class Loan;

 private:
  std::byte* loan_chunk(std::size_t message_bytes, const std::string& what);
  void publish_chunk(void* payload, bool data);
  struct Port;
  OwnedPort<Port> port_;
  std::vector<Link> links_;
  const ControlBlock& block_;
  std::size_t queue_maxsize_;
  std::size_t window_;  // frames in flight per link: queue_maxsize, less if the pool is small
  bool window_logged_ = false;
  const MempoolTable& mempools_;
  std::size_t publishers_;
  const std::atomic<bool>* stop_;
  std::uint64_t copies_ = 0;
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
};

}  // namespace sgn::detail
