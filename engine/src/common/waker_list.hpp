#pragma once
// The wakers a stop or shutdown request notifies (RunControl::notify_all). A run
// registers them while it builds its nodes, and a request may come at that moment from
// another thread or from a signal handler on the registering thread itself: so no
// vector that moves its storage. Fixed blocks of atomic slots, chained, each slot
// published after it is written: a reader sees some prefix of the registered wakers,
// never a half-written slot or freed memory. Blocks are freed only with the list.

#include <array>
#include <atomic>
#include <cstddef>

#include "common/waker.hpp"

namespace sgn::detail {

class WakerList {
 public:
  WakerList() = default;
  WakerList(const WakerList&) = delete;
  WakerList& operator=(const WakerList&) = delete;
  ~WakerList();

  /// The registering thread's call (one thread at a time).
  void add(Waker* waker);
  /// Notifies every waker registered so far. Async-signal-safe; any thread.
  void notify_all() const noexcept;
  /// Wakers registered so far (counted from the slots).
  std::size_t size() const noexcept;

 private:
  static constexpr std::size_t kPerBlock = 16;
  struct Block {
    std::array<std::atomic<Waker*>, kPerBlock> slots{};
    std::atomic<Block*> next{nullptr};
  };
  Block first_;
  Block* last_ = &first_;        // the registering thread's
  std::size_t used_in_last_ = 0;  // the registering thread's
};

}  // namespace sgn::detail
