#include "process/control_topics.hpp"

#include <capnp/serialize.h>
#include <fmt/format.h>

#include <cstring>
#include <optional>
#include <thread>

#include "iceoryx_posh/popo/untyped_publisher.hpp"
#include "iceoryx_posh/popo/untyped_subscriber.hpp"
#include "process/iox_runtime.hpp"
#include "process/iox_service.hpp"
#include "process/roudi_request.hpp"
#include "sgn/error.hpp"

namespace sgn::detail {

struct ControlTopic::Port {
  std::optional<iox::popo::UntypedPublisher> publisher;
  std::optional<iox::popo::UntypedSubscriber> subscriber;
};

ControlTopic::ControlTopic(const std::string& instance, const std::string& event, Role role)
    : port_(std::make_unique<Port>()) {
  IoxCall call;
  RoudiRequest request("a control port");
  if (role == Role::Publish) {
    iox::popo::PublisherOptions options;
    options.subscriberTooSlowPolicy = iox::popo::ConsumerTooSlowPolicy::WAIT_FOR_CONSUMER;
    port_->publisher.emplace(sgn_service(instance, event), options);
  } else {
    iox::popo::SubscriberOptions options;
    options.queueCapacity = iox::popo::SubscriberChunkQueueData_t::MAX_CAPACITY;
    options.queueFullPolicy = iox::popo::QueueFullPolicy::BLOCK_PRODUCER;
    port_->subscriber.emplace(sgn_service(instance, event), options);
  }
}

ControlTopic::~ControlTopic() = default;

bool ControlTopic::connected() const {
  IoxCall call;
  if (port_->publisher) return port_->publisher->hasSubscribers();
  return port_->subscriber->getSubscriptionState() == iox::SubscribeState::SUBSCRIBED;
}

void ControlTopic::publish(const std::function<void(capnp::MessageBuilder&)>& build) {
  capnp::MallocMessageBuilder message(256);
  build(message);
  const auto words = capnp::messageToFlatArray(message);
  const auto bytes = words.asBytes();
  for (int attempt = 0;; ++attempt) {
    IoxCall call;
    auto loan = port_->publisher->loan(static_cast<std::uint32_t>(bytes.size()), alignof(capnp::word));
    if (!loan.has_error()) {
      std::memcpy(loan.value(), bytes.begin(), bytes.size());
      port_->publisher->publish(loan.value());
      return;
    }
    if (attempt > 1000) throw Error("cannot loan shared memory for a control message");
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

int ControlTopic::poll(const std::function<void(capnp::MessageReader&)>& read) {
  int count = 0;
  while (true) {
    std::optional<IoxCall> call(std::in_place);
    auto taken = port_->subscriber->take();
    call.reset();
    if (taken.has_error()) return count;
    const void* payload = taken.value();
    const auto size = iox::mepoo::ChunkHeader::fromUserPayload(payload)->userPayloadSize();
    try {
      capnp::FlatArrayMessageReader reader(
          kj::ArrayPtr<const capnp::word>(static_cast<const capnp::word*>(payload), size / sizeof(capnp::word)));
      read(reader);
    } catch (...) {
      IoxCall release_call;
      port_->subscriber->release(payload);
      throw;
    }
    IoxCall release_call;
    port_->subscriber->release(payload);
    ++count;
  }
}

}  // namespace sgn::detail
