#include "sgn/elements/dds_source.hpp"

#include <dds/ddsi/ddsi_serdata.h>
#include <sgn/error.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "ddslink/dds_link.hpp"
#include "ddslink/dds_properties.hpp"
#include "ddslink/received_sertype.hpp"
#include "detail/property_error.hpp"

namespace sgn::elements {

namespace {

// One writer of the topic as this source sees it.
struct WriterState {
  dds::WriterInfo info;
  double lease_s = 0;  // its liveliness lease, as it offers it
  std::optional<std::uint64_t> last_sequence;
  bool ended = false;
};

// The serialized samples of one take, delivered one a poll and released whatever happens.
struct TakenSamples {
  static constexpr std::uint32_t kBatch = 32;
  std::array<ddsi_serdata*, kBatch> data{};
  std::array<dds_sample_info_t, kBatch> info{};
  std::size_t count = 0;
  std::size_t next = 0;  // the next to deliver
  void release() noexcept {
    for (std::size_t i = 0; i < count; ++i) ddsi_serdata_unref(data[i]);
    count = next = 0;
  }
  ~TakenSamples() { release(); }
};

// What happened to a writer; Back: its liveliness returned (a host that was busy or cut off).
enum class Loss { Liveliness, Left, Back };
struct LostWriter {
  dds_instance_handle_t handle;
  Loss loss;
  std::int64_t at_ns;  // when this process heard of it
};

// A lapsed lease is acted on this long after this process heard of it, and only if the
// writer is not back by then: a receiver that was paused or starved (its lease checks
// run as it wakes, before the writer's next message is read) does not fail its run. The
// writer is back with its next message read, 2-60 ms here after a 1.5 s SIGSTOP (16
// frames/s); a grace of the lease itself (0.3 s) once ran out on a loaded CI machine.
constexpr std::int64_t kLapseGraceNs = 1'000'000'000;

}  // namespace

// The link's reader, and what Cyclone's listener thread tells the polls: samples arrived
// (a wakeup), writers appeared, writers lost their liveliness or left.
struct DdsSource::Link {
  explicit Link(Wakeup wake) : wakeup(wake) {}
  Wakeup wakeup;
  std::mutex mutex;  // guards matched and lost (in the order they happened)
  std::vector<dds_instance_handle_t> matched;
  std::vector<LostWriter> lost;
  std::atomic<bool> events{false};

  std::unique_ptr<dds::Participant> participant;
  dds_entity_t reader = 0;
  std::map<dds_instance_handle_t, WriterState> writers;
  std::vector<LostWriter> lost_pending;  // ended once the reader holds nothing more
  TakenSamples taken;
  std::int64_t deadline_ns = 0;
  bool took_last = false;  // the take after the pipeline asked its sources to end
  std::int64_t first_ns = 0, last_ns = 0;  // arrivals, for the rate logged at the end
  std::uint64_t bytes = 0;

  void tell(dds_instance_handle_t matched_writer, const LostWriter* lost_writer) {
    {
      std::lock_guard lock(mutex);
      if (matched_writer) matched.push_back(matched_writer);
      if (lost_writer) lost.push_back(*lost_writer);
    }
    events.store(true);
    wakeup();
  }
  static void on_data_available(dds_entity_t, void* arg) { static_cast<Link*>(arg)->wakeup(); }
  static void on_liveliness_changed(dds_entity_t, const dds_liveliness_changed_status_t status, void* arg) {
    if (status.not_alive_count_change == 0) return;
    const LostWriter event{status.last_publication_handle,
                           status.not_alive_count_change > 0 ? Loss::Liveliness : Loss::Back, monotonic_ns()};
    static_cast<Link*>(arg)->tell(0, &event);
  }
  static void on_subscription_matched(dds_entity_t, const dds_subscription_matched_status_t status, void* arg) {
    auto* link = static_cast<Link*>(arg);
    if (status.current_count_change > 0) {
      link->tell(status.last_publication_handle, nullptr);
    } else if (status.current_count_change < 0) {
      const LostWriter lost{status.last_publication_handle, Loss::Left, monotonic_ns()};
      link->tell(0, &lost);
    }
  }

  /// The writer of `handle`, described and type-checked the first time it is seen.
  WriterState& writer_of(dds_instance_handle_t handle, const std::string& element, const std::string& topic,
                         const SchemaType& schema, spdlog::logger& log) {
    auto it = writers.find(handle);
    if (it != writers.end()) return it->second;
    WriterState state;
    state.info.guid = fmt::format("handle {:#x}", handle);
    dds_builtintopic_endpoint_t* endpoint = dds_get_matched_publication_data(reader, handle);
    if (endpoint) {
      void* user_data = nullptr;
      std::size_t size = 0;
      std::optional<dds::WriterInfo> info;
      if (dds_qget_userdata(endpoint->qos, &user_data, &size) && user_data) {
        info = dds::parse_writer_user_data(std::string_view(static_cast<const char*>(user_data), size));
      }
      dds_free(user_data);
      dds_liveliness_kind_t kind{};
      dds_duration_t lease = DDS_INFINITY;
      if (dds_qget_liveliness(endpoint->qos, &kind, &lease) && lease != DDS_INFINITY) {
        state.lease_s = static_cast<double>(lease) / 1e9;
      }
      const std::string guid = dds::guid_hex(endpoint->key);
      dds_builtintopic_free_endpoint(endpoint);
      if (!info) {
        throw TypeMismatchError(fmt::format("element '{}': topic '{}': writer {} is not a dds-sink (its user data "
                                            "does not name an sgn schema type)",
                                            element, topic, guid));
      }
      state.info = *info;
      state.info.guid = guid;
      if (state.info.schema_id != schema.id) {
        throw TypeMismatchError(fmt::format("element '{}': topic '{}': {} publishes {} ({:#x}), but this pipeline "
                                            "expects {} ({:#x})",
                                            element, topic, state.info.describe(), state.info.schema,
                                            state.info.schema_id, schema.name, schema.id));
      }
      log.debug("topic '{}': {} matched", topic, state.info.describe());
    }
    return writers.emplace(handle, std::move(state)).first->second;
  }

  /// Writers that appeared (checked at once) and writers lost (kept in lost_pending until
  /// the reader is empty: what they sent before they were lost goes on first). A writer
  /// whose liveliness came back before then was not lost: its link is reliable, so what it
  /// sent meanwhile arrives.
  void take_events(const std::string& element, const std::string& topic, const SchemaType& schema,
                   spdlog::logger& log) {
    if (!events.exchange(false)) return;
    std::vector<dds_instance_handle_t> appeared;
    std::vector<LostWriter> gone;
    {
      std::lock_guard lock(mutex);
      appeared.swap(matched);
      gone.swap(lost);
    }
    for (dds_instance_handle_t handle : appeared) writer_of(handle, element, topic, schema, log);
    for (const LostWriter& event : gone) {
      if (event.loss != Loss::Back) {
        if (auto it = writers.find(event.handle); event.loss == Loss::Liveliness && it != writers.end()) {
          log.debug("topic '{}': {} missed its {} s liveliness lease; lost unless it is back within {:.1f} s", topic,
                    it->second.info.describe(), it->second.lease_s, static_cast<double>(kLapseGraceNs) / 1e9);
        }
        lost_pending.push_back(event);
        continue;
      }
      std::int64_t lapsed_at = 0;
      std::erase_if(lost_pending, [&](const LostWriter& l) {
        if (l.handle != event.handle || l.loss != Loss::Liveliness) return false;
        lapsed_at = l.at_ns;
        return true;
      });
      auto it = writers.find(event.handle);
      if (lapsed_at != 0 && it != writers.end()) {
        log.warn("topic '{}': {} missed its {} s liveliness lease and is back ({:.3f} s after the lapse was seen)",
                 topic, it->second.info.describe(), it->second.lease_s,
                 static_cast<double>(event.at_ns - lapsed_at) / 1e9);
      }
    }
  }
};

ElementInfo DdsSource::describe() {
  // Deep enough that a source thread descheduled for tens of milliseconds does not fill it:
  // Cyclone rejects a sample that finds the history full and the writer resends it later,
  // which at 1 KiB frames halves the rate.
  auto properties = dds::link_properties(
      "frames the reader holds before its writers wait (reader history; up to queue x frame size of memory)", 4096);
  properties.push_back(property<std::string>(
      "on-loss", "error", "a writer lost before its EOS: error (fail the run) or eos (end its stream)"));
  ElementInfo info{"dds-source", "receives frames a dds-sink publishes on a DDS topic (Cyclone DDS)",
                   std::move(properties)};
  info.placements = {Placement::Main, Placement::Thread, Placement::Process};  // no default instance (topic)
  dds::declare_link_pad(info, false);
  return info;
}

DdsSource::DdsSource(const ElementArgs& args)
    : EventElement(args, {}, {{"out", dds::link_schema(args)}}),
      settings_(std::make_unique<const dds::LinkSettings>(args)),
      loss_ends_stream_(properties().get<std::string>("on-loss") == "eos") {
  const auto on_loss = properties().get<std::string>("on-loss");
  if (on_loss != "error" && on_loss != "eos") {
    detail::throw_property_error(args, fmt::format("property 'on-loss' = '{}' is not one of error, eos", on_loss));
  }
}

DdsSource::~DdsSource() { finish(); }

void DdsSource::finish() {
  if (!link_) return;
  link_->taken.release();      // they hold Cyclone's receive buffers: before its domain may go
  link_->participant.reset();  // its reader and listener first: they point into link_
  link_.reset();
}

void DdsSource::open(PollContext& ctx) {
  dds::keep_large_allocations_in_heap();
  auto link = std::make_unique<Link>(ctx.wakeup());
  link->participant = std::make_unique<dds::Participant>(name(), settings_->domain, settings_->config,
                                                        settings_->topic, dds::TopicType::Reading);
  dds_listener_t* listener = dds_create_listener(link.get());
  dds_lset_data_available(listener, Link::on_data_available);
  dds_lset_liveliness_changed(listener, Link::on_liveliness_changed);
  dds_lset_subscription_matched(listener, Link::on_subscription_matched);
  dds_qos_t* qos = dds::link_qos(settings_->queue, DDS_INFINITY, "");
  link->reader = dds_create_reader(link->participant->participant(), link->participant->topic(), qos, listener);
  dds_delete_qos(qos);
  dds_delete_listener(listener);
  if (link->reader < 0) dds::throw_dds(name(), settings_->topic, "dds_create_reader", link->reader);
  link->deadline_ns = monotonic_ns() + static_cast<std::int64_t>(settings_->timeout_s * 1e9);
  link_ = std::move(link);
}

void DdsSource::deliver(PollContext& ctx, std::size_t i) {
  Link& link = *link_;
  const dds_sample_info_t& info = link.taken.info[i];
  if (!info.valid_data) return;
  WriterState& writer = link.writer_of(info.publication_handle, name(), settings_->topic, settings_->schema, ctx.log());
  // The sample's fields are read where they lie, in its first fragment (copied out first
  // if a configuration made fragments smaller than 1 KiB); its payload may lie in many
  // fragments, held as Cyclone received them.
  const dds::ReceivedBytes bytes(link.taken.data[i]);
  std::array<std::byte, 1024> scratch;
  const std::span<const std::byte> head = bytes.prefix(scratch);
  dds::SampleView sample;
  try {
    sample = dds::read_sample(head.data(), bytes.size(), head.size());
  } catch (const std::exception& e) {
    throw FrameError(fmt::format("element '{}': topic '{}': {}: {}", name(), settings_->topic, writer.info.describe(), e.what()));
  }
  if (writer.last_sequence && sample.sequence <= *writer.last_sequence) {
    throw FrameError(fmt::format("element '{}': topic '{}': {} sent frame {} after frame {}", name(), settings_->topic,
                                 writer.info.describe(), sample.sequence, *writer.last_sequence));
  }
  writer.last_sequence = sample.sequence;
  if (sample.flags & kFrameEos) {
    writer.ended = true;
    return;
  }
  FrameWriter frame;
  std::uint32_t flags = 0;
  if (sample.flags & kFrameGap) {
    frame = ctx.loan(0);
    flags = kFrameGap;
  } else {
    if (sample.schema_id != settings_->schema.id) {
      throw TypeMismatchError(fmt::format("element '{}': topic '{}': frame {} of {} is {} ({:#x}), but this "
                                          "pipeline expects {} ({:#x})",
                                          name(), settings_->topic, sample.sequence, writer.info.describe(), sample.schema,
                                          sample.schema_id, settings_->schema.name, settings_->schema.id));
    }
    if (sample.payload_bytes > static_cast<std::uint64_t>(settings_->max_bytes) || sample.payload_bytes % 8 != 0) {
      throw FrameError(fmt::format("element '{}': topic '{}': frame {} of {} has a payload of {} bytes "
                                   "(max-bytes={}, whole 8-byte words)",
                                   name(), settings_->topic, sample.sequence, writer.info.describe(), sample.payload_bytes,
                                   settings_->max_bytes));
    }
    frame = ctx.loan(sample.payload_bytes);
    // The one copy: from Cyclone's receive buffers (or a small sample's copy) into the
    // frame's storage.
    bytes.copy(sample.payload_offset, sample.payload_bytes,
               frame.message_to_fill(sample.payload_bytes, sample.schema_id).data());
    ctx.count_copies(1);
  }
  frame.header().sequence = sample.sequence;
  frame.header().timestamp_ns = sample.timestamp_ns;
  ctx.push(frame.finish(flags));
  link.last_ns = monotonic_ns();
  if (received_++ == 0) link.first_ns = link.last_ns;
  link.bytes += sample.payload_bytes;
}

Poll DdsSource::poll(PollContext& ctx) {
  if (!link_) open(ctx);
  Link& link = *link_;
  link.take_events(name(), settings_->topic, settings_->schema, ctx.log());
  if (!ctx.has_room()) return Poll::Idle;  // room wakes the loop
  if (link.taken.next < link.taken.count) {
    deliver(ctx, link.taken.next++);
    return Poll::Progress;
  }
  link.taken.release();
  // Ctrl+C: what the reader holds goes on (one more take), then EOS.
  if (link.took_last) return Poll::Done;
  link.took_last = ctx.eos_requested();
  const dds_return_t taken =
      dds_takecdr(link.reader, link.taken.data.data(), TakenSamples::kBatch, link.taken.info.data(), DDS_ANY_STATE);
  if (taken < 0) dds::throw_dds(name(), settings_->topic, "dds_takecdr", taken);
  link.taken.count = static_cast<std::size_t>(taken);
  if (taken > 0) return Poll::Progress;  // delivered one a poll, so that room is checked for each
  if (link.took_last) return Poll::Done;

  // The reader is empty: what a lost writer sent before it was lost has gone on.
  link.take_events(name(), settings_->topic, settings_->schema, ctx.log());
  std::int64_t recheck_ns = 0;  // a lapsed lease's grace ends
  std::vector<LostWriter> waiting;
  for (const LostWriter& lost : link.lost_pending) {
    auto it = link.writers.find(lost.handle);
    if (it == link.writers.end() || it->second.ended) continue;
    if (lost.loss == Loss::Liveliness) {
      const std::int64_t due = lost.at_ns + kLapseGraceNs;
      if (monotonic_ns() < due) {
        waiting.push_back(lost);
        recheck_ns = recheck_ns == 0 ? due : std::min(recheck_ns, due);
        continue;
      }
    }
    const std::string why =
        lost.loss == Loss::Left ? "left before sending EOS"
                           : fmt::format("lost: no liveliness within its {} s lease (its host is down, unreachable, or "
                                         "the process was killed)",
                                         it->second.lease_s);
    if (!loss_ends_stream_) {
      throw Error(fmt::format("element '{}': topic '{}': {} {}", name(), settings_->topic, it->second.info.describe(), why));
    }
    ctx.log().warn("topic '{}': {} {}; its stream ends here (on-loss=eos)", settings_->topic, it->second.info.describe(), why);
    it->second.ended = true;
  }
  link.lost_pending.swap(waiting);

  const bool any = !link.writers.empty();
  if (any && std::all_of(link.writers.begin(), link.writers.end(), [](const auto& w) { return w.second.ended; })) {
    const double seconds = static_cast<double>(link.last_ns - link.first_ns) / 1e9;
    ctx.log().info("topic '{}': every writer sent EOS; {} frames, {} bytes, {:.6f} s from the first to the last "
                   "({:.0f} frames/s, {:.3f} GB/s)",
                   settings_->topic, received_, link.bytes, seconds,
                   seconds > 0 ? static_cast<double>(received_ - 1) / seconds : 0.0,
                   seconds > 0 ? static_cast<double>(link.bytes) / seconds / 1e9 : 0.0);
    return Poll::Done;  // the engine publishes EOS
  }
  if (!any && settings_->timeout_s > 0) {
    if (monotonic_ns() >= link.deadline_ns) {
      throw Error(fmt::format("element '{}': topic '{}': no writer appeared within {} s (is the sending pipeline "
                              "running in DDS domain {}, and reachable through the configured interfaces?)",
                              name(), settings_->topic, settings_->timeout_s, settings_->domain));
    }
    recheck_ns = recheck_ns == 0 ? link.deadline_ns : std::min(recheck_ns, link.deadline_ns);
  }
  if (recheck_ns != 0) ctx.wake_at(recheck_ns);
  return Poll::Idle;  // a sample, a writer's arrival or loss calls the wakeup
}

}  // namespace sgn::elements
