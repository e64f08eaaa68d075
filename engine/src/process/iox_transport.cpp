#include "process/iox_transport.hpp"
#include "frames/frame_access.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <thread>

#include "iceoryx_hoofs/internal/relocatable_pointer/base_relative_pointer.hpp"
#include "iceoryx_posh/mepoo/chunk_header.hpp"
#include "iceoryx_posh/popo/untyped_publisher.hpp"
#include "iceoryx_posh/popo/untyped_subscriber.hpp"
#include "process/iox_runtime.hpp"
#include "process/iox_service.hpp"
#include "process/roudi_request.hpp"
#include "sgn/error.hpp"
#include "sgn/logging.hpp"

namespace sgn::detail {
namespace {

constexpr std::uint64_t kMarkerMagic = 0x73676e2d64697274;  // "sgn-dirt"

enum class ChunkKind : std::uint32_t {
  Frame = 0,      // [FrameHeader | marker | Cap'n Proto segment]
  Reference = 1,  // [FrameHeader of the target | marker | ForwardRef]: a frame forwarded by reference
};

// After the FrameHeader. `dirty_bytes`: how many segment bytes a previous sgn frame
// may have left non-zero; `readers`: subscribers the chunk was published to.
struct ChunkMarker {
  std::uint64_t magic;
  std::uint64_t dirty_bytes;
  std::uint32_t readers;
  ChunkKind kind;
};
static_assert(sizeof(FrameHeader) + sizeof(ChunkMarker) <= kChunkPrefixBytes);

// The payload of a Reference chunk: where the forwarded chunk is (iceoryx's segment id
// and offset: the data segments are mapped in every process of the group, each at its
// own address) and the slot that counts its readers.
struct ForwardRef {
  std::uint64_t segment;
  std::uint64_t offset;
  std::uint32_t slot_link;
  std::uint32_t slot;
};

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
  void set_dirty_bytes(std::size_t bytes) noexcept override {
    ChunkMarker& m = marker();
    if (m.magic != kMarkerMagic) m = ChunkMarker{kMarkerMagic, 0, 0, ChunkKind::Frame};
    m.dirty_bytes = bytes;
  }
  std::byte* chunk() const noexcept { return chunk_; }

 protected:
  ChunkMarker& marker() const noexcept { return marker_of(chunk_); }
  static ChunkMarker& marker_of(std::byte* chunk) noexcept {
    return *reinterpret_cast<ChunkMarker*>(chunk + sizeof(FrameHeader));
  }
  std::byte* chunk_;
  std::size_t capacity_;
};

// A chunk of another publisher, taken here: what an output can forward by reference.
class InboundChunk : public ChunkStorage {
 public:
  using ChunkStorage::ChunkStorage;
  /// Holding it longer keeps the subscriber that took it within iceoryx's limit.
  virtual bool may_hold_longer() const noexcept = 0;
};

std::size_t user_payload_size(const void* payload) {
  return iox::mepoo::ChunkHeader::fromUserPayload(payload)->userPayloadSize();
}

// Chunks an input may hold beyond those forwarded: the element's own, in its step.
constexpr std::uint32_t kHeldMargin = 16;
// How long an output whose forward slots are all held waits for one before it copies
// instead: readers that keep frames that long (a WorkerElement collecting them) must
// not stall the stream for good.
constexpr std::int64_t kSlotWaitNs = 1'000'000'000;

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
                     std::function<bool()> stopped)
    : port_(asking_roudi("a publisher port",
                         [&] { return std::make_unique<Port>(sgn_service(topic.instance, topic.event), lossless_publisher()); })),
      links_(std::move(links)),
      block_(block),
      queue_maxsize_(queue_maxsize),
      window_(queue_maxsize),
      mempools_(mempools),
      publishers_(std::max<std::size_t>(publishers, 1)),
      stopped_(std::move(stopped)),
      consumed_seen_(links_.size(), 0) {}

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
  const std::size_t previous_window = window_;
  fit_window(needed);
  if (window_ != previous_window || !window_logged_) {
    window_logged_ = true;
    logger("link")->debug("{}: up to {} frame(s) of {} bytes in flight ({} chunks in the pool, {} publishers, "
                          "queue {})",
                          what, window_, message_bytes, mempools_.chunks_for(needed), publishers_, queue_maxsize_);
  }
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
    if (stopped_ && stopped_()) throw StopRequested{};
    // iceoryx logs every failed loan: back off quickly.
    std::this_thread::sleep_for(std::chrono::microseconds(attempt < 10 ? 20 : attempt < 100 ? 200 : 2000));
  }
}

void IoxOutput::fit_window(std::size_t chunk_bytes) {
  // Every publisher of the pipeline may draw on this pool, each holding its window
  // in flight plus the chunks it and its consumers work on: keep the windows to
  // half of a fair share, so producers wait on credits, never on a dry pool (a
  // transform that cannot loan its output would stop consuming: a deadlock).
  const std::size_t share = mempools_.chunks_for(chunk_bytes) / (2 * std::max<std::size_t>(publishers_, 2));
  window_ = std::clamp<std::size_t>(share, 1, queue_maxsize_);
}

bool IoxOutput::slots_full() const noexcept {
  if (forwards_held_ < kForwardSlots) return false;
  sweep_forwards();
  if (forwards_held_ < kForwardSlots) return false;
  const std::int64_t now = monotonic_ns();
  if (slots_full_since_ns_ == 0) slots_full_since_ns_ = now;
  return now - slots_full_since_ns_ < kSlotWaitNs;
}

bool IoxOutput::has_space() const noexcept {
  if (slots_full()) return false;
  for (std::size_t i = 0; i < links_.size(); ++i) {
    LinkCounters& c = block_.link(links_[i].counter);
    const std::uint64_t published = c.published.load(std::memory_order_relaxed);
    std::uint64_t& seen = consumed_seen_[i];
    // Room known from an earlier look costs no read of the line the consumer writes.
    if (published - seen < window_) continue;
    seen = c.consumed.load(std::memory_order_acquire);
    if (published - seen < window_) continue;
    // Full: ask the consumer's next pop for a wake-up, then look once more. Either this
    // look sees a pop made meanwhile, or that pop sees the request (both seq_cst).
    c.room_wanted.store(1, std::memory_order_seq_cst);
    seen = c.consumed.load(std::memory_order_seq_cst);
    if (published - seen >= window_) return false;
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
  // Zero copy when the frame was loaned here, which is the case for every frame an
  // element builds for this pad, or when it is another publisher's chunk taken here
  // (a transform forwarding its input): that goes by reference. Anything else is
  // copied once, counted.
  FrameStorage* storage = FrameAccess::storage(frame);
  auto* loan = dynamic_cast<Loan*>(storage);
  const bool data = (frame.header().flags & (kFrameEos | kFrameGap)) == 0;
  if (loan && loan->owner() == this && frame.unique()) {
    loan->mark_published();
    ChunkMarker& m = *reinterpret_cast<ChunkMarker*>(static_cast<std::byte*>(loan->chunk()) + sizeof(FrameHeader));
    m.readers = static_cast<std::uint32_t>(links_.size());
    m.kind = ChunkKind::Frame;
    publish_chunk(loan->chunk(), data);
  } else if (!try_forward(frame, data)) {
    const FrameHeader& h = frame.header();
    auto* chunk = loan_chunk(h.message_bytes, "frame copied into shared memory");
    std::memcpy(chunk, &h, sizeof h);
    *reinterpret_cast<ChunkMarker*>(chunk + sizeof(FrameHeader)) =
        ChunkMarker{kMarkerMagic, h.message_bytes, static_cast<std::uint32_t>(links_.size()), ChunkKind::Frame};
    std::memcpy(chunk + kChunkPrefixBytes, frame.payload(), h.message_bytes);
    publish_chunk(chunk, data);
    ++copies_;
  }
  frame = Frame();
  return true;
}

bool IoxOutput::try_forward(Frame& frame, bool data) {
  auto* inbound = dynamic_cast<InboundChunk*>(FrameAccess::storage(frame));
  if (!inbound || links_.empty() || !inbound->may_hold_longer()) return false;
  if (forwarded_.empty()) forwarded_.resize(kForwardSlots);
  sweep_forwards();
  std::uint32_t slot = 0;
  while (slot < kForwardSlots && forwarded_[slot]) ++slot;
  if (slot == kForwardSlots) return false;  // its readers hold that many: copy rather than wait
  using iox::rp::BaseRelativePointer;
  std::byte* target = inbound->chunk();
  const auto segment = BaseRelativePointer::searchId(target);
  if (segment == BaseRelativePointer::NULL_POINTER_ID) return false;
  const auto offset = BaseRelativePointer::getOffset(segment, target);

  auto* ref = loan_chunk(sizeof(ForwardRef), "frame forwarded by reference");
  // Credits follow the forwarded chunks' pool (they are what the readers hold), not the small reference's.
  fit_window(user_payload_size(target));
  std::memcpy(ref, &frame.header(), sizeof(FrameHeader));
  *reinterpret_cast<ChunkMarker*>(ref + sizeof(FrameHeader)) =
      ChunkMarker{kMarkerMagic, sizeof(ForwardRef), static_cast<std::uint32_t>(links_.size()), ChunkKind::Reference};
  *reinterpret_cast<ForwardRef*>(ref + kChunkPrefixBytes) = ForwardRef{segment, offset, links_.front().counter, slot};
  block_.forward_slot(links_.front().counter, slot).store(static_cast<std::uint32_t>(links_.size()),
                                                          std::memory_order_release);
  forwarded_[slot] = std::move(frame);
  ++forwards_held_;
  publish_chunk(ref, data);
  return true;
}

void IoxOutput::sweep_forwards() const noexcept {
  if (forwards_held_ == 0) return;
  for (std::uint32_t slot = 0; slot < forwarded_.size(); ++slot) {
    if (forwarded_[slot] &&
        block_.forward_slot(links_.front().counter, slot).load(std::memory_order_acquire) == 0) {
      forwarded_[slot] = Frame();
      --forwards_held_;
    }
  }
  if (forwards_held_ < kForwardSlots) slots_full_since_ns_ = 0;
}

std::size_t IoxOutput::forwards_held() noexcept {
  sweep_forwards();
  return forwards_held_;
}

void IoxOutput::release_forwards(Waker& waker, const std::function<bool()>& give_up,
                                 std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto settled = [&] { return forwards_held() == 0 || give_up(); };
  while (!settled() && std::chrono::steady_clock::now() < deadline) {
    waker.wait_unless(settled, std::chrono::milliseconds(10));
  }
  drop_forwards();  // readers that did not release by now are gone: the chunks go back
}

void IoxOutput::drop_forwards() noexcept {
  for (Frame& frame : forwarded_) frame = Frame();
  forwards_held_ = 0;
  slots_full_since_ns_ = 0;
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
class Received final : public InboundChunk {
 public:
  Received(IoxInput& owner, const void* chunk)
      : InboundChunk(static_cast<std::byte*>(const_cast<void*>(chunk)), user_payload_size(chunk) - kChunkPrefixBytes),
        owner_(owner) {}
  bool read_elsewhere() const noexcept override { return marker().readers > 1; }
  bool may_hold_longer() const noexcept override {
    return owner_.held() + kHeldMargin < iox::MAX_CHUNKS_HELD_PER_SUBSCRIBER_SIMULTANEOUSLY;
  }

 private:
  void recycle() noexcept override {
    owner_.release(chunk_);
    delete this;
  }
  IoxInput& owner_;
};

// A frame another process forwarded by reference: the chunk of its upstream publisher,
// held there until every reader released its slot.
class Referred final : public InboundChunk {
 public:
  Referred(std::byte* target, std::atomic<std::uint32_t>& slot, Waker& holder, std::uint32_t fanout)
      : InboundChunk(target, user_payload_size(target) - kChunkPrefixBytes),
        slot_(slot),
        holder_(holder),
        fanout_(fanout) {}
  bool read_elsewhere() const noexcept override { return fanout_ > 1 || marker().readers > 1; }
  bool may_hold_longer() const noexcept override { return true; }  // holds nothing of a subscriber here

 private:
  void recycle() noexcept override {
    if (slot_.fetch_sub(1, std::memory_order_acq_rel) == 1) holder_.notify();
    delete this;
  }
  std::atomic<std::uint32_t>& slot_;
  Waker& holder_;
  std::uint32_t fanout_;
};
}  // namespace

IoxInput::IoxInput(const Topic& topic, const ControlBlock& block, std::uint32_t counter, Waker* producer,
                   std::size_t queue_maxsize, std::string what)
    : port_(asking_roudi("a subscriber port",
                         [&] {
                           return std::make_unique<Port>(sgn_service(topic.instance, topic.event),
                                                         lossless_subscriber(queue_maxsize));
                         })),
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
  auto* chunk = static_cast<std::byte*>(const_cast<void*>(result.value()));
  const ChunkMarker& marker = *reinterpret_cast<const ChunkMarker*>(chunk + sizeof(FrameHeader));
  if (marker.magic == kMarkerMagic && marker.kind == ChunkKind::Reference) {
    const ForwardRef ref = *reinterpret_cast<const ForwardRef*>(chunk + kChunkPrefixBytes);
    const std::uint32_t fanout = marker.readers;
    auto* target = static_cast<std::byte*>(iox::rp::BaseRelativePointer::getPtr(ref.segment, ref.offset));
    std::atomic<std::uint32_t>& slot = block_.forward_slot(ref.slot_link, ref.slot);
    {
      std::lock_guard release_lock(release_mutex_);
      IoxCall release_call;
      port_->subscriber.release(chunk);  // the reference is read; the slot holds the frame
    }
    if (!target) {
      slot.fetch_sub(1, std::memory_order_acq_rel);
      throw Error(fmt::format("{}: a frame forwarded by reference points outside the shared memory mapped here "
                              "(segment {}, offset {})", what_, ref.segment, ref.offset));
    }
    out = FrameAccess::adopt(new Referred(target, slot, *producer_, fanout));
  } else {
    held_.fetch_add(1, std::memory_order_relaxed);
    out = FrameAccess::adopt(new Received(*this, chunk));
  }
  LinkCounters& counters = block_.link(counter_);
  if ((out.header().flags & (kFrameEos | kFrameGap)) == 0) NodeCounters::add(counters.data_consumed);
  counters.consumed.fetch_add(1, std::memory_order_seq_cst);
  // Only a producer that found the link full waits for this pop: waking it on every
  // pop would move its waker's line across the cores (and often make a futex call)
  // per frame. The RMW above orders this load after the pop (see has_space()).
  if (counters.room_wanted.load(std::memory_order_seq_cst) != 0) {
    counters.room_wanted.store(0, std::memory_order_relaxed);
    producer_->notify();
  }
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
  held_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace sgn::detail
