#include "process/iox_transport.hpp"
#include "frames/frame_access.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <thread>

#include "iceoryx_posh/mepoo/chunk_header.hpp"
#include "iceoryx_posh/popo/untyped_publisher.hpp"
#include "iceoryx_posh/popo/untyped_subscriber.hpp"
#include "process/iox_runtime.hpp"
#include "process/iox_service.hpp"
#include "sgn/error.hpp"
#include "sgn/logging.hpp"

namespace sgn::detail {
namespace {

constexpr std::uint64_t kMarkerMagic = 0x73676e2d64697274;  // "sgn-dirt"

// After the FrameHeader: how many segment bytes a previous sgn frame may have left non-zero.
struct ChunkMarker {
  std::uint64_t magic;
  std::uint64_t dirty_bytes;
};
static_assert(sizeof(FrameHeader) + sizeof(ChunkMarker) <= kChunkPrefixBytes);


class ChunkStorage : public FrameStorage {
 public:
  explicit ChunkStorage(std::byte* chunk, std::size_t capacity) : chunk_(chunk), capacity_(capacity) {}
  FrameHeader& header() noexcept override { return *reinterpret_cast<FrameHeader*>(chunk_); }
  std::byte* payload() noexcept override { return chunk_ + kChunkPrefixBytes; }
  std::size_t capacity() const noexcept override { return capacity_; }
  std::size_t dirty_bytes() const noexcept override {
    const ChunkMarker& m = marker();
    return m.magic == kMarkerMagic ? m.dirty_bytes : capacity_;
  }
  void set_dirty_bytes(std::size_t bytes) noexcept override { marker() = ChunkMarker{kMarkerMagic, bytes}; }

 protected:
  ChunkMarker& marker() const noexcept { return *reinterpret_cast<ChunkMarker*>(chunk_ + sizeof(FrameHeader)); }
  std::byte* chunk_;
  std::size_t capacity_;
};

std::size_t user_payload_size(const void* payload) {
  return iox::mepoo::ChunkHeader::fromUserPayload(payload)->userPayloadSize();
}

}  // namespace

struct IoxOutput::Port {
  Port(const iox::capro::ServiceDescription& service, const iox::popo::PublisherOptions& options)
      : publisher(service, options) {}
  iox::popo::UntypedPublisher publisher;
};

class IoxOutput::Loan final : public ChunkStorage {
 public:
  Loan(IoxOutput& owner, std::byte* chunk, std::size_t capacity) : ChunkStorage(chunk, capacity), owner_(owner) {}
  IoxOutput* owner() const noexcept { return &owner_; }
  void* chunk() const noexcept { return chunk_; }
  /// Publishing hands the chunk to iceoryx: nothing to release afterwards.
  void mark_published() noexcept { published_ = true; }

 private:
  void recycle() noexcept override {
    if (!published_) {
      IoxCall call;
      owner_.port_->publisher.release(chunk_);
    }
    delete this;
  }
  IoxOutput& owner_;
  bool published_ = false;
};

namespace {
iox::popo::PublisherOptions lossless_publisher() {
  iox::popo::PublisherOptions options;
  options.historyCapacity = 0;
  options.subscriberTooSlowPolicy = iox::popo::ConsumerTooSlowPolicy::WAIT_FOR_CONSUMER;
  return options;
}
iox::popo::SubscriberOptions lossless_subscriber(std::size_t queue) {
  iox::popo::SubscriberOptions options;
  options.queueCapacity = queue;
  options.historyRequest = 0;
  options.queueFullPolicy = iox::popo::QueueFullPolicy::BLOCK_PRODUCER;
  return options;
}
}  // namespace

IoxOutput::IoxOutput(const Topic& topic, const ControlBlock& block, std::vector<Link> links,
                     std::size_t queue_maxsize, const MempoolTable& mempools, std::size_t publishers,
                     const std::atomic<bool>* stop)
    : port_(std::make_unique<Port>(sgn_service(topic.instance, topic.event), lossless_publisher())),
      links_(std::move(links)),
      block_(block),
      queue_maxsize_(queue_maxsize),
      window_(queue_maxsize),
      mempools_(mempools),
      publishers_(std::max<std::size_t>(publishers, 1)),
      stop_(stop) {}

IoxOutput::~IoxOutput() = default;

void IoxOutput::abandon() noexcept { port_.abandon(); }

bool IoxOutput::connected() const {
  IoxCall call;
  return port_->publisher.hasSubscribers();
}

FrameWriter IoxOutput::loan(std::size_t message_bytes, const std::string& what) {
  auto* chunk = loan_chunk(message_bytes, what);
  const std::size_t capacity = user_payload_size(chunk) - kChunkPrefixBytes;
  return FrameAccess::writer(new Loan(*this, chunk, capacity), what);
}

std::byte* IoxOutput::loan_chunk(std::size_t message_bytes, const std::string& what) {
  const std::size_t segment = (message_bytes + 7) / 8 * 8;
  const std::size_t needed = segment + kChunkPrefixBytes;
  if (needed > mempools_.largest_payload()) {
    throw FrameError(fmt::format("{}: a frame of {} bytes does not fit the largest shared-memory chunk ({} bytes "
                                 "of payload); raise the largest mempool size in the RouDi config",
                                 what, message_bytes, mempools_.largest_payload() - kChunkPrefixBytes));
  }
  // Every publisher of the pipeline may draw on this pool, each holding its window
  // in flight plus the chunks it and its consumers work on: keep the windows to
  // half of a fair share, so producers wait on credits, never on a dry pool (a
  // transform that cannot loan its output would stop consuming: a deadlock).
  const std::size_t share = mempools_.chunks_for(needed) / (2 * std::max<std::size_t>(publishers_, 2));
  const std::size_t window = std::clamp<std::size_t>(share, 1, queue_maxsize_);
  if (window != window_ || !window_logged_) {
    window_logged_ = true;
    logger("link")->debug("{}: up to {} frame(s) of {} bytes in flight ({} chunks in the pool, {} publishers, "
                          "queue {})",
                          what, window, message_bytes, mempools_.chunks_for(needed), publishers_, queue_maxsize_);
  }
  window_ = window;
  for (int attempt = 0;; ++attempt) {
    IoxCall call;
    auto result = port_->publisher.loan(static_cast<std::uint32_t>(needed), kChunkAlignment);
    if (!result.has_error()) return static_cast<std::byte*>(result.value());
    const auto error = result.get_error();
    if (error != iox::popo::AllocationError::RUNNING_OUT_OF_CHUNKS) {
      throw Error(fmt::format("{}: iceoryx could not loan a chunk of {} bytes (allocation error {})", what, needed,
                              static_cast<int>(error)));
    }
    // The pool is dry: chunks come back as consumers release them (backpressure).
    if (stop_ && stop_->load(std::memory_order_relaxed)) throw StopRequested{};
    // iceoryx logs every failed loan: back off quickly.
    std::this_thread::sleep_for(std::chrono::microseconds(attempt < 10 ? 20 : attempt < 100 ? 200 : 2000));
  }
}

bool IoxOutput::has_space() const noexcept {
  for (const Link& link : links_) {
    const LinkCounters& c = block_.link(link.counter);
    if (c.published.load(std::memory_order_relaxed) - c.consumed.load(std::memory_order_acquire) >= window_) {
      return false;
    }
  }
  return true;
}

std::size_t IoxOutput::size() const noexcept {
  std::size_t most = 0;
  for (const Link& link : links_) {
    const LinkCounters& c = block_.link(link.counter);
    most = std::max<std::size_t>(most, c.published.load() - c.consumed.load());
  }
  return most;
}

bool IoxOutput::try_push(Frame& frame) {
  if (!has_space()) return false;
  // Zero copy when the frame was loaned here, which is the case for every
  // frame an element builds for this pad; anything else is copied once, counted.
  FrameStorage* storage = FrameAccess::storage(frame);
  auto* loan = dynamic_cast<Loan*>(storage);
  const bool data = (frame.header().flags & (kFrameEos | kFrameGap)) == 0;
  if (loan && loan->owner() == this && frame.unique()) {
    loan->mark_published();
    publish_chunk(loan->chunk(), data);
  } else {
    const FrameHeader& h = frame.header();
    auto* chunk = loan_chunk(h.message_bytes, "frame copied into shared memory");
    std::memcpy(chunk, &h, sizeof h);
    *reinterpret_cast<ChunkMarker*>(chunk + sizeof(FrameHeader)) = ChunkMarker{kMarkerMagic, h.message_bytes};
    std::memcpy(chunk + kChunkPrefixBytes, frame.payload(), h.message_bytes);
    publish_chunk(chunk, data);
    ++copies_;
  }
  frame = Frame();
  return true;
}

void IoxOutput::publish_chunk(void* payload, bool data) {
  {
    IoxCall call;
    port_->publisher.publish(payload);
  }
  for (const Link& link : links_) {
    LinkCounters& counters = block_.link(link.counter);
    if (data) NodeCounters::add(counters.data_published);
    counters.published.fetch_add(1, std::memory_order_release);
    link.consumer->notify();
  }
}

struct IoxInput::Port {
  Port(const iox::capro::ServiceDescription& service, const iox::popo::SubscriberOptions& options)
      : subscriber(service, options) {}
  iox::popo::UntypedSubscriber subscriber;
};

namespace {
class Received final : public ChunkStorage {
 public:
  Received(IoxInput& owner, const void* chunk)
      : ChunkStorage(static_cast<std::byte*>(const_cast<void*>(chunk)), user_payload_size(chunk) - kChunkPrefixBytes),
        owner_(owner) {}

 private:
  void recycle() noexcept override {
    owner_.release(chunk_);
    delete this;
  }
  IoxInput& owner_;
};
}  // namespace

IoxInput::IoxInput(const Topic& topic, const ControlBlock& block, std::uint32_t counter, Waker* producer,
                   std::size_t queue_maxsize, std::string what)
    : port_(std::make_unique<Port>(sgn_service(topic.instance, topic.event), lossless_subscriber(queue_maxsize))),
      block_(block),
      counter_(counter),
      producer_(producer),
      what_(std::move(what)) {}

IoxInput::~IoxInput() = default;

void IoxInput::abandon() noexcept { port_.abandon(); }

bool IoxInput::connected() const {
  IoxCall call;
  return port_->subscriber.getSubscriptionState() == iox::SubscribeState::SUBSCRIBED;
}

bool IoxInput::try_pop(Frame& out) {
  std::unique_lock lock(release_mutex_);
  std::optional<IoxCall> call(std::in_place);
  auto result = port_->subscriber.take();
  call.reset();
  lock.unlock();
  if (result.has_error()) {
    if (result.get_error() == iox::popo::ChunkReceiveResult::NO_CHUNK_AVAILABLE) return false;
    throw Error(fmt::format("{}: this element holds too many frames at once (iceoryx allows {} per input)", what_,
                            iox::MAX_CHUNKS_HELD_PER_SUBSCRIBER_SIMULTANEOUSLY));
  }
  out = FrameAccess::adopt(new Received(*this, result.value()));
  LinkCounters& counters = block_.link(counter_);
  if ((out.header().flags & (kFrameEos | kFrameGap)) == 0) NodeCounters::add(counters.data_consumed);
  counters.consumed.fetch_add(1, std::memory_order_release);
  producer_->notify();
  return true;
}

std::size_t IoxInput::size() const noexcept {
  const LinkCounters& c = block_.link(counter_);
  return c.published.load() - c.consumed.load();
}

void IoxInput::release(const void* payload) noexcept {
  std::lock_guard lock(release_mutex_);
  IoxCall call;
  port_->subscriber.release(payload);
}

}  // namespace sgn::detail
