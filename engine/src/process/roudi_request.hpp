#pragma once
// Calls that wait for RouDi's answer: registering this process's iceoryx runtime and
// creating a port. iceoryx 2.0 waits for that answer 60 s and then aborts (registration)
// or without any limit (a port): a RouDi that dies or stops while it is asked leaves the
// asking thread inside iceoryx for good, where no flag of ours is looked at.
//
// While such a call runs, a watchdog thread of this process looks at RouDi every 50 ms
// (its pidfd, or its socket for a RouDi someone else started). It ends the process, at
// once and in a defined way, when:
//   - RouDi has died: exit status 1;
//   - a stop signal (SIGINT/SIGTERM, main's run) came and the call has not returned
//     kSignalGrace later: exit status 128 + 2;
//   - RouDi has not answered within kAnswerLimit: exit status 1.
// It says so (spdlog, flushed), removes this process's shared memory and its record's
// files, and _exits: nothing else can run while a thread is stuck inside iceoryx, and
// what is left of a dead RouDi's the keeper (or the next run) reaps.

#include <chrono>
#include <utility>

namespace sgn::detail {

inline constexpr auto kSignalGrace = std::chrono::milliseconds(500);
inline constexpr auto kAnswerLimit = std::chrono::seconds(20);

/// Scope of one call that waits for RouDi's answer; `what` says what is asked
/// ("registration", "a port"), for the message. Not for the data path.
class RoudiRequest {
 public:
  explicit RoudiRequest(const char* what);
  ~RoudiRequest();
  RoudiRequest(const RoudiRequest&) = delete;
  RoudiRequest& operator=(const RoudiRequest&) = delete;
};

/// make() inside a RoudiRequest: for member initializers.
template <class Make>
auto asking_roudi(const char* what, Make&& make) {
  RoudiRequest request(what);
  return std::forward<Make>(make)();
}

/// A stop signal arrived (called from the run's signal handler: async-signal-safe).
void note_stop_signal() noexcept;

}  // namespace sgn::detail
