#include "sgn/elements/dds_sink.hpp"

#include <sgn/error.hpp>

#include <chrono>

#include "ddslink/dds_link.hpp"
#include "ddslink/dds_properties.hpp"
#include "detail/property_error.hpp"
#include "sgn_frame.h"

namespace sgn::elements {
namespace {

using Clock = std::chrono::steady_clock;

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
      "frames the writer holds unacknowledged before it waits for its readers (it also waits at 64 MB)", 4096);
  properties.push_back(property<std::int64_t>("readers", 1,
                                              "matched readers to wait for before the first frame (0: none); "
                                              "one leaving before EOS fails the run",
                                              0, 1024));
  return {"dds-sink", "publishes frames of any schema type on a DDS topic (Cyclone DDS), for dds-source",
          std::move(properties)};
}

DdsSink::DdsSink(const ElementArgs& args)
    : WorkerElement(args, {{"in", dds::link_schema(args)}}, {}),
      topic_(properties().get<std::string>("topic")),
      domain_(static_cast<int>(properties().get<std::int64_t>("domain"))),
      config_(properties().get<std::string>("config")),
      schema_(dds::link_schema(args)),
      readers_(properties().get<std::int64_t>("readers")),
      timeout_s_(properties().get<double>("timeout")),
      queue_(properties().get<std::int64_t>("queue")),
      max_bytes_(properties().get<std::int64_t>("max-bytes")) {
  dds::check_topic(args, topic_);
}

void DdsSink::run(WorkerContext& ctx) {
  dds::keep_large_allocations_in_heap();
  dds::Participant p(name(), domain_, config_, topic_);
  dds_qos_t* qos = dds::link_qos(queue_, dds::writer_user_data(schema_, name()));
  const dds_entity_t writer = dds_create_writer(p.participant(), p.topic(), qos, nullptr);
  dds_delete_qos(qos);
  if (writer < 0) dds::throw_dds(name(), topic_, "dds_create_writer", writer);

  // Readers first: DDS delivers a volatile topic's samples only to readers matched when written.
  const auto deadline = Clock::now() + seconds(timeout_s_);
  if (readers_ > 0) {
    const dds_entity_t waitset = dds_create_waitset(p.participant());
    dds_set_status_mask(writer, DDS_PUBLICATION_MATCHED_STATUS);
    dds_waitset_attach(waitset, writer, 0);
    while (matched(p, writer).current_count < readers_) {
      if (ctx.should_stop() || ctx.should_shutdown()) return;  // nobody to drain to
      if (timeout_s_ > 0 && Clock::now() >= deadline) {
        throw Error(fmt::format("element '{}': topic '{}': {} of {} readers matched within {} s (is the receiving "
                                "pipeline running in DDS domain {}, and reachable through the configured interfaces?)",
                                name(), topic_, matched(p, writer).current_count, readers_, timeout_s_, domain_));
      }
      dds_waitset_wait(waitset, nullptr, 0, dds::kPollInterval);
    }
    dds_delete(waitset);
    ctx.log().debug("topic '{}': {} readers matched", topic_, readers_);
  }

  auto check_readers = [&] {
    if (readers_ == 0) return;
    const auto status = matched(p, writer);
    if (status.current_count < readers_) {
      throw Error(fmt::format("element '{}': topic '{}': a reader left before EOS ({} of {} readers matched; its "
                              "pipeline ended or its host is unreachable)",
                              name(), topic_, status.current_count, readers_));
    }
  };
  auto flush = [&] {
    dds_write_flush(writer);
  };
  auto write = [&](const sgn_dds_Frame& sample) {
    for (;;) {
      const dds_return_t rc = dds_write(writer, &sample);
      if (rc == DDS_RETCODE_OK) return true;
      if (rc != DDS_RETCODE_TIMEOUT) dds::throw_dds(name(), topic_, "dds_write", rc);
      // The readers hold `queue` unacknowledged samples: wait for them, watching the run.
      if (ctx.should_stop()) return false;
      check_readers();
    }
  };

  InputPad in = ctx.input();
  std::string schema_name = schema_.name;
  // Writes are batched (WriteBatch in dds_link.cpp): small frames queued back to back share
  // a datagram, and whatever is batched goes out as soon as the input has nothing more.
  auto next = [&]() -> std::optional<Frame> {
    if (std::optional<Frame> queued = in.try_pull()) return queued;
    flush();
    return in.pull();
  };
  while (std::optional<Frame> frame = next()) {
    const FrameHeader& h = frame->header();
    sgn_dds_Frame sample{};
    sample.frame_sequence = h.sequence;
    sample.timestamp_ns = h.timestamp_ns;
    sample.schema_id = schema_.id;
    sample.flags = h.flags & (kFrameEos | kFrameGap);
    sample.schema = schema_name.data();
    if (!frame->eos() && !frame->gap()) {
      sgn::detail::check_schema(h, schema_, name() + ":in");
      if (h.message_bytes > static_cast<std::uint64_t>(max_bytes_)) {
        throw FrameError(fmt::format("element '{}': frame {} of {} bytes exceeds max-bytes={} of topic '{}'", name(),
                                     h.sequence, h.message_bytes, max_bytes_, topic_));
      }
      // Cyclone serializes the sample from the frame's memory: its one copy.
      sample.payload._buffer = reinterpret_cast<std::uint8_t*>(const_cast<std::byte*>(frame->payload()));
      sample.payload._length = sample.payload._maximum = static_cast<std::uint32_t>(h.message_bytes);
      sample.payload._release = false;
    }
    check_readers();
    if (!write(sample)) return;
    ++written_;
    if (frame->eos()) break;
  }
  flush();
  if (ctx.should_stop()) return;  // stopped: no EOS, the readers see this writer leave

  // Leave only once the readers hold everything, the EOS included.
  const auto ack_deadline = Clock::now() + seconds(timeout_s_);
  for (;;) {
    const dds_return_t rc = dds_wait_for_acks(writer, dds::kPollInterval);
    if (rc == DDS_RETCODE_OK) break;
    if (rc != DDS_RETCODE_TIMEOUT) dds::throw_dds(name(), topic_, "dds_wait_for_acks", rc);
    if (ctx.should_stop()) return;
    check_readers();
    if (timeout_s_ > 0 && Clock::now() >= ack_deadline) {
      throw Error(fmt::format("element '{}': topic '{}': the readers did not acknowledge EOS within {} s", name(),
                              topic_, timeout_s_));
    }
  }
}

}  // namespace sgn::elements
