#pragma once
// The shared-memory block of one pipeline instance: one waker per node (so a
// producer in one process can wake a consumer in another, and back) and the
// published/consumed counters of every cross-process link (credit-based room:
// a producer never publishes more than queue_maxsize frames ahead, so an
// iceoryx publish never blocks and the main loop never deadlocks on a worker).

#include <atomic>
#include <cstdint>
#include <string>

#include "detail/waker.hpp"
#include "process/shm_segment.hpp"

namespace sgn::detail {

struct alignas(64) LinkCounters {
  std::atomic<std::uint64_t> published{0};
  alignas(64) std::atomic<std::uint64_t> consumed{0};
};

struct alignas(64) SharedWaker {
  Waker waker;
  std::atomic<std::uint32_t> commands{0};  // set by main after it publishes a command for this node
};

class ControlBlock {
 public:
  ControlBlock() = default;
  static ControlBlock create(const std::string& name, std::uint32_t nodes, std::uint32_t links);
  static ControlBlock open(const std::string& name);

  Waker& waker(std::uint32_t node) const;
  /// Non-zero when main published a command the node's worker has not polled yet.
  std::atomic<std::uint32_t>& commands(std::uint32_t node) const;
  LinkCounters& link(std::uint32_t index) const;
  std::uint32_t nodes() const noexcept { return header()->nodes; }
  std::uint32_t links() const noexcept { return header()->links; }
  const std::string& name() const noexcept { return segment_.name(); }

 private:
  struct Header {
    std::uint64_t magic;
    std::uint32_t nodes;
    std::uint32_t links;
  };
  static constexpr std::uint64_t kMagic = 0x73676e2d63746c31;  // "sgn-ctl1"
  static std::size_t bytes_for(std::uint32_t nodes, std::uint32_t links);
  SharedWaker& slot(std::uint32_t node) const;
  Header* header() const noexcept { return static_cast<Header*>(segment_.data()); }
  ShmSegment segment_;
};

}  // namespace sgn::detail
