#include "sgn/elements/dds_sink.hpp"

#include <sgn/error.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

#include "ddslink/dds_link.hpp"
#include "ddslink/dds_properties.hpp"
#include "ddslink/frame_sertype.hpp"
#include "detail/property_error.hpp"

namespace sgn::elements {
namespace {

// How often a sink waiting for its readers (to match, or to acknowledge its EOS) looks.
constexpr std::int64_t kReaderPollNs = 1'000'000;
// A reader that leaves is noticed within this many writes (and whenever the input is empty).
constexpr std::uint64_t kWritesPerReaderCheck = 64;

std::chrono::nanoseconds seconds(double s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
}

dds_publication_matched_status_t matched(const dds::Participant& p, dds_entity_t writer) {
  dds_publication_matched_status_t status{};
  if (const dds_return_t rc = dds_get_publication_matched_status(writer, &status); rc < 0) {
    dds::throw_dds(p.element(), p.topic_name(), "dds_get_publication_matched_status", rc);
  }
  return status;
}

}  // namespace

ElementInfo DdsSink::describe() {
  auto properties = dds::link_properties(
      "frames the writer holds unacknowledged before it waits for its readers (it also waits at 3 MB)", 4096);
  properties.push_back(property<std::int64_t>("readers", 1,
                                              "matched readers to wait for before the first frame (0: none); "
                                              "one leaving before EOS fails the run",
                                              0, 1024));
  properties.push_back(property<double>("lease", dds::kDefaultLeaseSeconds,
                                        "liveliness lease in seconds: readers fail the run (or end this stream, "
                                        "on-loss=eos) when they hear nothing from this writer for this long",
                                        0.1, 3600.0));
  ElementInfo info{"dds-sink", "publishes frames of any schema type on a DDS topic (Cyclone DDS), for dds-source",
                   std::move(properties)};
  info.placements = {Placement::Main, Placement::Thread, Placement::Process};  // no default instance (topic)
  dds::declare_link_pad(info, true);
  return info;
}

DdsSink::DdsSink(const ElementArgs& args)
    : EventElement(args, {{"in", dds::link_schema(args)}}, {}),
      settings_(std::make_unique<const dds::LinkSettings>(args)),
      readers_(properties().get<std::int64_t>("readers")),
      lease_s_(properties().get<double>("lease")) {}

// The link's writer and where it stands. No listener: with one on the writer, Cyclone
// sent every sample in a datagram of its own from its event thread (1 KiB frames went at
// a third of the rate); readers are looked at every kWritesPerReaderCheck writes instead.
struct DdsSink::Link {
  enum class Phase { Readers, Writing, Acking };
  std::unique_ptr<dds::Participant> participant;
  dds_entity_t writer = 0;
  Phase phase = Phase::Readers;
  std::int64_t deadline_ns = 0;
  bool unflushed = false;        // samples written since the last flush
  int empty_polls = 0;           // polls in a row that found the input empty
  std::optional<Frame> pending;  // a frame whose write timed out: written next
  std::string schema_name;
};

namespace {
std::int64_t after(double s) { return monotonic_ns() + seconds(s).count(); }
}  // namespace

DdsSink::~DdsSink() { finish(); }

void DdsSink::finish() { link_.reset(); }  // the participant, and with it the writer

Poll DdsSink::poll(PollContext& ctx) {
  if (!link_) {
    dds::keep_large_allocations_in_heap();
    auto link = std::make_unique<Link>();
    link->participant =
        std::make_unique<dds::Participant>(name(), settings_->domain, settings_->config, settings_->topic,
                                          dds::TopicType::Writing);
    dds_qos_t* qos = dds::link_qos(settings_->queue, seconds(lease_s_).count(),
                                   dds::writer_user_data(settings_->schema, name()));
    link->writer = dds_create_writer(link->participant->participant(), link->participant->topic(), qos, nullptr);
    dds_delete_qos(qos);
    if (link->writer < 0) dds::throw_dds(name(), settings_->topic, "dds_create_writer", link->writer);
    link->deadline_ns = after(settings_->timeout_s);
    link->schema_name = settings_->schema.name;
    link_ = std::move(link);
  }
  switch (link_->phase) {
    case Link::Phase::Readers:
      return wait_for_readers(ctx);
    case Link::Phase::Writing:
      return write_frames(ctx);
    case Link::Phase::Acking:
      return wait_for_acks(ctx);
  }
  return Poll::Done;
}

// Readers first: DDS delivers a volatile topic's samples only to readers matched when written.
Poll DdsSink::wait_for_readers(PollContext& ctx) {
  Link& link = *link_;
  const auto count = readers_ > 0 ? matched(*link.participant, link.writer).current_count : 0;
  if (count >= readers_) {
    if (readers_ > 0) ctx.log().debug("topic '{}': {} readers matched", settings_->topic, readers_);
    link.phase = Link::Phase::Writing;
    return Poll::Progress;
  }
  if (ctx.eos_requested()) return Poll::Done;  // Ctrl+C before anyone listened: nobody to drain to
  if (settings_->timeout_s > 0) {
    if (monotonic_ns() >= link.deadline_ns) {
      throw Error(fmt::format("element '{}': topic '{}': {} of {} readers matched within {} s (is the receiving "
                              "pipeline running in DDS domain {}, and reachable through the configured interfaces?)",
                              name(), settings_->topic, count, readers_, settings_->timeout_s, settings_->domain));
    }
  }
  ctx.wake_at(settings_->timeout_s > 0 ? std::min(link.deadline_ns, monotonic_ns() + kReaderPollNs)
                             : monotonic_ns() + kReaderPollNs);
  return Poll::Idle;
}

void DdsSink::check_readers() {
  if (readers_ == 0) return;
  const auto status = matched(*link_->participant, link_->writer);
  if (status.current_count < readers_) {
    throw Error(fmt::format("element '{}': topic '{}': a reader left before EOS ({} of {} readers matched; its "
                            "pipeline ended or its host is unreachable)",
                            name(), settings_->topic, status.current_count, readers_));
  }
}

Poll DdsSink::write_frames(PollContext& ctx) {
  Link& link = *link_;
  std::optional<Frame> frame = std::move(link.pending);
  link.pending.reset();
  if (!frame) frame = ctx.try_pull();
  if (!frame) {
    // Writes are batched (WriteBatch in dds_link.cpp): small frames written back to back
    // share a datagram. What is batched goes out when the input is found empty twice in a
    // row: once is often only the loop stepping this sink's producer next (in the same
    // thread), and the loop always polls an idle element again before it sleeps.
    if (link.unflushed && ++link.empty_polls >= 2) {
      dds_write_flush(link.writer);
      check_readers();
      link.unflushed = false;
    }
    return Poll::Idle;
  }
  link.empty_polls = 0;
  if (written_ % kWritesPerReaderCheck == 0) check_readers();
  const FrameHeader& h = frame->header();
  dds::OutgoingSample sample;
  sample.sequence = h.sequence;
  sample.timestamp_ns = h.timestamp_ns;
  sample.schema_id = settings_->schema.id;
  sample.flags = h.flags & (kFrameEos | kFrameGap);
  sample.schema = link.schema_name;
  if (!frame->eos() && !frame->gap()) {
    sgn::detail::check_schema(h, settings_->schema, name() + ":in");
    if (h.message_bytes > static_cast<std::uint64_t>(settings_->max_bytes)) {
      throw FrameError(fmt::format("element '{}': frame {} of {} bytes exceeds max-bytes={} of topic '{}'", name(),
                                   h.sequence, h.message_bytes, settings_->max_bytes, settings_->topic));
    }
    // The sample's one copy of the payload (frame_sertype.cpp): all of a small frame, the
    // first 64 KiB of a heap frame, which Cyclone then holds for the rest.
    sample.frame = &*frame;
    sample.payload_bytes = static_cast<std::uint32_t>(h.message_bytes);
  }
  const dds_return_t rc = dds_write(link.writer, &sample);
  if (rc == DDS_RETCODE_TIMEOUT) {
    // The readers hold `queue` unacknowledged samples: write it again on the next poll
    // (the loop looks at the run's flags, and at its other elements, in between).
    check_readers();
    link.pending = std::move(frame);
    ctx.wake_at(monotonic_ns());
    return Poll::Idle;
  }
  if (rc != DDS_RETCODE_OK) dds::throw_dds(name(), settings_->topic, "dds_write", rc);
  ++written_;
  link.unflushed = true;
  if (!frame->eos()) return Poll::Progress;
  dds_write_flush(link.writer);
  link.unflushed = false;
  link.phase = Link::Phase::Acking;
  link.deadline_ns = after(settings_->timeout_s);
  return Poll::Progress;
}

// Leave only once the readers hold everything, the EOS included. A reader that leaves
// now may have had it all (its run ended at the EOS): the wait is for those still here.
Poll DdsSink::wait_for_acks(PollContext& ctx) {
  Link& link = *link_;
  const dds_return_t rc = dds_wait_for_acks(link.writer, 0);
  if (rc == DDS_RETCODE_OK) return Poll::Done;
  if (rc != DDS_RETCODE_TIMEOUT) dds::throw_dds(name(), settings_->topic, "dds_wait_for_acks", rc);
  if (settings_->timeout_s > 0 && monotonic_ns() >= link.deadline_ns) {
    throw Error(fmt::format("element '{}': topic '{}': the readers did not acknowledge EOS within {} s", name(),
                            settings_->topic, settings_->timeout_s));
  }
  ctx.wake_at(monotonic_ns() + kReaderPollNs);
  return Poll::Idle;
}

}  // namespace sgn::elements
