#pragma once
// The control topics of one pipeline instance: Command (main -> workers) and
// Status (workers -> main), Cap'n Proto messages in small iceoryx chunks.

#include <functional>
#include <memory>
#include <string>

#include <capnp/message.h>
#include <sgn/schemas/control.capnp.h>

#include "process/iox_runtime.hpp"

namespace sgn::detail {

/// One direction of control traffic: publishes or polls Cap'n Proto messages
/// (Command or Status of schemas/control.capnp) on one iceoryx service.
class ControlTopic {
 public:
  enum class Role { Publish, Subscribe };
  ControlTopic(const std::string& instance, const std::string& event, Role role);
  ~ControlTopic();
  ControlTopic(const ControlTopic&) = delete;
  ControlTopic& operator=(const ControlTopic&) = delete;

  /// Publishes the message `build` fills in.
  void publish(const std::function<void(capnp::MessageBuilder&)>& build);
  /// Hands each queued message to `read`; returns how many.
  int poll(const std::function<void(capnp::MessageReader&)>& read);
  bool connected() const;
  /// Leaves the iceoryx port as it is, never destroyed (see iox_runtime.hpp).
  void abandon() noexcept { port_.abandon(); }

 private:
  struct Port;
  OwnedPort<Port> port_;
};

}  // namespace sgn::detail
