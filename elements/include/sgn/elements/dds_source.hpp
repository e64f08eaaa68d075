#pragma once
/// "dds-source": receives the stream a dds-sink publishes on a DDS topic (Cyclone DDS).

#include <sgn/event_element.hpp>
#include <sgn/registry.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace sgn::elements {
namespace dds {
struct LinkSettings;
}

/// Each sample becomes a frame with the writer's sequence number, timestamp and flags;
/// its payload is copied once, from Cyclone's received sample straight into the frame
/// (counted in `copies`). A writer whose schema type is not this source's fails the run
/// when it is matched, naming both types. The stream ends when every writer seen sent
/// EOS; a writer lost before its EOS (no liveliness within the lease its dds-sink offers,
/// nor within a grace of up to 1 s after that; or gone) fails the run naming the topic and
/// the writer, or with `on-loss=eos` ends its stream.
/// Runs in any placement, beside other elements: Cyclone's receive thread wakes the loop
/// that polls it when samples arrive.
class DdsSource final : public EventElement {
 public:
  static ElementInfo describe();
  explicit DdsSource(const ElementArgs& args);
  ~DdsSource() override;

  /// Frames received (data and gap); read it after the run.
  std::uint64_t frames_received() const noexcept { return received_; }

 protected:
  Poll poll(PollContext& ctx) override;
  void finish() override;

 private:
  struct Link;  // the DDS entities, the writers seen and the samples taken, made by the first poll()
  void open(PollContext& ctx);
  /// Makes one frame of taken sample `i` (none for an EOS or a sample without data).
  void deliver(PollContext& ctx, std::size_t i);

  std::unique_ptr<const dds::LinkSettings> settings_;  // topic, domain, config, schema, timeout, queue, max-bytes
  bool loss_ends_stream_;
  std::uint64_t received_ = 0;
  std::unique_ptr<Link> link_;
};

}  // namespace sgn::elements
