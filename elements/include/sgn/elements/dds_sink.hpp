#pragma once
/// "dds-sink": publishes a stream on a DDS topic (Cyclone DDS), for a dds-source on
/// another host (or process) to carry on.

#include <sgn/event_element.hpp>
#include <sgn/registry.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace sgn::elements {
namespace dds {
struct LinkSettings;
}

/// Every frame (data, gap and the final EOS) becomes one sample of the topic, with its
/// sequence number, timestamp, flags and schema type; the payload is the frame's Cap'n
/// Proto segment. The link is lossless: reliable, keep-all, at most `queue` samples
/// unacknowledged, so a slow reader slows this writer. Waits for `readers` matched
/// readers (within `timeout`) before the first frame, fails if one leaves before EOS,
/// and after EOS waits (within `timeout`) until the readers acknowledged everything.
/// Runs in any placement, beside other elements: it waits in a DDS call for at most 100 ms
/// at a time (a write while the readers hold `queue` samples or 3 MB unacknowledged).
class DdsSink final : public EventElement {
 public:
  static ElementInfo describe();
  explicit DdsSink(const ElementArgs& args);
  ~DdsSink() override;

  /// Samples written (data, gap and EOS); read it after the run.
  std::uint64_t samples_written() const noexcept { return written_; }

 protected:
  Poll poll(PollContext& ctx) override;
  void finish() override;

 private:
  struct Link;  // the DDS entities and where the link stands, made by the first poll()
  Poll wait_for_readers(PollContext& ctx);
  Poll write_frames(PollContext& ctx);
  Poll wait_for_acks(PollContext& ctx);
  void check_readers();

  std::unique_ptr<const dds::LinkSettings> settings_;  // topic, domain, config, schema, timeout, queue, max-bytes
  std::int64_t readers_;
  double lease_s_;  // the liveliness lease this writer offers
  std::uint64_t written_ = 0;
  std::unique_ptr<Link> link_;
};

}  // namespace sgn::elements
