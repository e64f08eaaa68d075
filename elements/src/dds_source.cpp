#include "sgn/elements/dds_source.hpp"

#include <dds/ddsi/ddsi_serdata.h>
#include <sgn/error.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "ddslink/dds_link.hpp"
#include "ddslink/dds_properties.hpp"
#include "detail/property_error.hpp"

namespace sgn::elements {
namespace {

using Clock = std::chrono::steady_clock;

// What Cyclone's listener thread tells the element's loop: writers that appeared, and
// writers that lost their liveliness or left. The guard condition wakes the loop.
struct LinkEvents {
  std::mutex mutex;
  std::vector<dds_instance_handle_t> matched;
  std::vector<std::pair<dds_instance_handle_t, const char*>> lost;
  dds_entity_t guard = 0;

  void wake() {
    if (guard > 0) dds_set_guardcondition(guard, true);
  }
};

void on_liveliness_changed(dds_entity_t, const dds_liveliness_changed_status_t status, void* arg) {
  auto* events = static_cast<LinkEvents*>(arg);
  if (status.not_alive_count_change <= 0) return;
  {
    std::lock_guard lock(events->mutex);
    events->lost.emplace_back(status.last_publication_handle,
                              "lost: no liveliness within its 1 s lease (its host is down, unreachable, or the "
                              "process was killed)");
  }
  events->wake();
}

void on_subscription_matched(dds_entity_t, const dds_subscription_matched_status_t status, void* arg) {
  auto* events = static_cast<LinkEvents*>(arg);
  {
    std::lock_guard lock(events->mutex);
    if (status.current_count_change > 0) {
      events->matched.push_back(status.last_publication_handle);
    } else if (status.current_count_change < 0) {
      events->lost.emplace_back(status.last_publication_handle, "left before sending EOS");
    }
  }
  events->wake();
}

// How long an idle source looks for the next sample before it sleeps.
constexpr std::int64_t kSpinNs = 50'000;

// True if the reader holds a sample not taken yet (a cheap check: no copy, no take).
bool has_data(dds_entity_t reader) {
  uint32_t status = 0;
  return dds_get_status_changes(reader, &status) >= 0 && (status & DDS_DATA_AVAILABLE_STATUS) != 0;
}

// One writer of the topic as this source sees it.
struct WriterState {
  dds::WriterInfo info;
  std::optional<std::uint64_t> last_sequence;
  bool ended = false;
};

// Releases the serialized samples of one take, whatever happens to them.
struct TakenSamples {
  static constexpr std::uint32_t kBatch = 32;
  std::array<ddsi_serdata*, kBatch> data{};
  std::array<dds_sample_info_t, kBatch> info{};
  int count = 0;
  ~TakenSamples() {
    for (int i = 0; i < count; ++i) ddsi_serdata_unref(data[static_cast<std::size_t>(i)]);
  }
};

}  // namespace

ElementInfo DdsSource::describe() {
  // Deep enough that a source thread descheduled for tens of milliseconds does not fill it:
  // Cyclone rejects a sample that finds the history full and the writer resends it later,
  // which at 1 KiB frames halves the rate.
  auto properties = dds::link_properties(
      "frames the reader holds before its writers wait (reader history; up to queue x frame size of memory)", 4096);
  properties.push_back(property<std::string>(
      "on-loss", "error", "a writer lost before its EOS: error (fail the run) or eos (end its stream)"));
  return {"dds-source", "receives frames a dds-sink publishes on a DDS topic (Cyclone DDS)", std::move(properties)};
}

DdsSource::DdsSource(const ElementArgs& args)
    : WorkerElement(args, {}, {{"out", dds::link_schema(args)}}),
      topic_(properties().get<std::string>("topic")),
      domain_(static_cast<int>(properties().get<std::int64_t>("domain"))),
      config_(properties().get<std::string>("config")),
      schema_(dds::link_schema(args)),
      timeout_s_(properties().get<double>("timeout")),
      queue_(properties().get<std::int64_t>("queue")),
      max_bytes_(properties().get<std::int64_t>("max-bytes")),
      loss_ends_stream_(properties().get<std::string>("on-loss") == "eos") {
  dds::check_topic(args, topic_);
  const auto on_loss = properties().get<std::string>("on-loss");
  if (on_loss != "error" && on_loss != "eos") {
    detail::throw_property_error(args, fmt::format("property 'on-loss' = '{}' is not one of error, eos", on_loss));
  }
}

void DdsSource::run(WorkerContext& ctx) {
  dds::keep_large_allocations_in_heap();
  LinkEvents events;  // outlives the participant, whose listener writes to it
  dds::Participant p(name(), domain_, config_, topic_);
  events.guard = dds_create_guardcondition(p.participant());
  if (events.guard < 0) dds::throw_dds(name(), topic_, "dds_create_guardcondition", events.guard);
  dds_listener_t* listener = dds_create_listener(&events);
  dds_lset_liveliness_changed(listener, on_liveliness_changed);
  dds_lset_subscription_matched(listener, on_subscription_matched);
  dds_qos_t* qos = dds::link_qos(queue_, "");
  const dds_entity_t reader = dds_create_reader(p.participant(), p.topic(), qos, listener);
  dds_delete_qos(qos);
  dds_delete_listener(listener);
  if (reader < 0) dds::throw_dds(name(), topic_, "dds_create_reader", reader);
  const dds_entity_t data_ready = dds_create_readcondition(reader, DDS_ANY_STATE);
  const dds_entity_t waitset = dds_create_waitset(p.participant());
  dds_waitset_attach(waitset, data_ready, 0);
  dds_waitset_attach(waitset, events.guard, 0);

  std::map<dds_instance_handle_t, WriterState> writers;
  OutputPad out = ctx.output();
  std::int64_t first_ns = 0, last_ns = 0;  // arrivals, for the rate logged at the end
  std::uint64_t bytes = 0;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s_));

  auto writer_of = [&](dds_instance_handle_t handle) -> WriterState& {
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
      const std::string guid = dds::guid_hex(endpoint->key);
      dds_builtintopic_free_endpoint(endpoint);
      if (!info) {
        throw TypeMismatchError(fmt::format("element '{}': topic '{}': writer {} is not a dds-sink (its user data "
                                            "does not name an sgn schema type)",
                                            name(), topic_, guid));
      }
      state.info = *info;
      state.info.guid = guid;
      if (state.info.schema_id != schema_.id) {
        throw TypeMismatchError(fmt::format("element '{}': topic '{}': {} publishes {} ({:#x}), but this pipeline "
                                            "expects {} ({:#x})",
                                            name(), topic_, state.info.describe(), state.info.schema,
                                            state.info.schema_id, schema_.name, schema_.id));
      }
      ctx.log().debug("topic '{}': {} matched", topic_, state.info.describe());
    }
    return writers.emplace(handle, std::move(state)).first->second;
  };

  // Takes what the reader holds; false if the run stopped while pushing.
  auto take_all = [&]() -> bool {
    for (;;) {
      TakenSamples taken;
      taken.count = dds_takecdr(reader, taken.data.data(), TakenSamples::kBatch, taken.info.data(), DDS_ANY_STATE);
      if (taken.count < 0) dds::throw_dds(name(), topic_, "dds_takecdr", taken.count);
      if (taken.count == 0) return true;
      for (std::size_t i = 0; i < static_cast<std::size_t>(taken.count); ++i) {
        if (!taken.info[i].valid_data) continue;
        WriterState& writer = writer_of(taken.info[i].publication_handle);
        ddsrt_iovec_t ref{};
        ddsi_serdata* held = ddsi_serdata_to_ser_ref(taken.data[i], 0, ddsi_serdata_size(taken.data[i]), &ref);
        struct Unref {
          ddsi_serdata* d;
          ddsrt_iovec_t* r;
          ~Unref() { ddsi_serdata_to_ser_unref(d, r); }
        } unref{held, &ref};
        dds::SampleView sample;
        try {
          sample = dds::read_sample(static_cast<const std::byte*>(ref.iov_base), ref.iov_len);
        } catch (const std::exception& e) {
          throw FrameError(fmt::format("element '{}': topic '{}': {}: {}", name(), topic_, writer.info.describe(),
                                       e.what()));
        }
        if (writer.last_sequence && sample.sequence <= *writer.last_sequence) {
          throw FrameError(fmt::format("element '{}': topic '{}': {} sent frame {} after frame {}", name(), topic_,
                                       writer.info.describe(), sample.sequence, *writer.last_sequence));
        }
        writer.last_sequence = sample.sequence;
        if (sample.flags & kFrameEos) {
          writer.ended = true;
          continue;
        }
        FrameWriter frame;
        std::uint32_t flags = 0;
        if (sample.flags & kFrameGap) {
          frame = out.loan(0);
          flags = kFrameGap;
        } else {
          if (sample.schema_id != schema_.id) {
            throw TypeMismatchError(fmt::format("element '{}': topic '{}': frame {} of {} is {} ({:#x}), but this "
                                                "pipeline expects {} ({:#x})",
                                                name(), topic_, sample.sequence, writer.info.describe(),
                                                sample.schema, sample.schema_id, schema_.name, schema_.id));
          }
          if (sample.payload_bytes > static_cast<std::uint64_t>(max_bytes_) || sample.payload_bytes % 8 != 0) {
            throw FrameError(fmt::format("element '{}': topic '{}': frame {} of {} has a payload of {} bytes "
                                         "(max-bytes={}, whole 8-byte words)",
                                         name(), topic_, sample.sequence, writer.info.describe(),
                                         sample.payload_bytes, max_bytes_));
          }
          frame = out.loan(sample.payload_bytes);
          // The one copy: from Cyclone's received sample into the frame's storage.
          frame.copy_message(sample.payload, sample.payload_bytes, sample.schema_id);
          ctx.count_copies(1);
        }
        frame.header().sequence = sample.sequence;
        frame.header().timestamp_ns = sample.timestamp_ns;
        if (!out.push(frame.finish(flags))) return false;
        last_ns = monotonic_ns();
        if (received_++ == 0) first_ns = last_ns;
        bytes += sample.payload_bytes;
      }
    }
  };

  for (;;) {
    if (ctx.should_stop()) return;
    if (!take_all()) return;
    if (ctx.should_shutdown()) return;  // Ctrl+C: what arrived went on; EOS follows
    std::vector<dds_instance_handle_t> matched;
    std::vector<std::pair<dds_instance_handle_t, const char*>> lost;
    {
      std::lock_guard lock(events.mutex);
      matched.swap(events.matched);
      lost.swap(events.lost);
      dds_set_guardcondition(events.guard, false);
    }
    for (dds_instance_handle_t handle : matched) writer_of(handle);  // checks its type at connect
    if (!lost.empty()) {
      if (!take_all()) return;  // what a leaving writer sent before it left comes first
      for (const auto& [handle, why] : lost) {
        auto it = writers.find(handle);
        if (it == writers.end() || it->second.ended) continue;
        if (!loss_ends_stream_) {
          throw Error(fmt::format("element '{}': topic '{}': {} {}", name(), topic_, it->second.info.describe(), why));
        }
        ctx.log().warn("topic '{}': {} {}; its stream ends here (on-loss=eos)", topic_, it->second.info.describe(), why);
        it->second.ended = true;
      }
    }
    const bool any = !writers.empty();
    const bool all_ended = any && std::all_of(writers.begin(), writers.end(), [](const auto& w) { return w.second.ended; });
    if (all_ended) {
      const double seconds = static_cast<double>(last_ns - first_ns) / 1e9;
      ctx.log().info("topic '{}': every writer sent EOS; {} frames, {} bytes, {:.6f} s from the first to the last "
                     "({:.0f} frames/s, {:.3f} GB/s)",
                     topic_, received_, bytes, seconds, seconds > 0 ? static_cast<double>(received_ - 1) / seconds : 0.0,
                     seconds > 0 ? static_cast<double>(bytes) / seconds / 1e9 : 0.0);
      return;  // the engine publishes EOS
    }
    if (!any && timeout_s_ > 0 && Clock::now() >= deadline) {
      throw Error(fmt::format("element '{}': topic '{}': no writer appeared within {} s (is the sending pipeline "
                              "running in DDS domain {}, and reachable through the configured interfaces?)",
                              name(), topic_, timeout_s_, domain_));
    }
    // A busy stream's next sample is usually microseconds away: look again for a short while
    // before sleeping, since a wake-up per frame (tens of microseconds here) would pace it.
    const std::int64_t spin_until = monotonic_ns() + kSpinNs;
    bool ready = false;
    while (!ready && monotonic_ns() < spin_until) {
      std::this_thread::yield();
      ready = has_data(reader);
    }
    if (!ready) dds_waitset_wait(waitset, nullptr, 0, dds::kPollInterval);
  }
}

}  // namespace sgn::elements
