#pragma once
/// "dds-source": receives the stream a dds-sink publishes on a DDS topic (Cyclone DDS).

#include <sgn/element.hpp>
#include <sgn/registry.hpp>

#include <cstdint>
#include <string>

namespace sgn::elements {

/// Each sample becomes a frame with the writer's sequence number, timestamp and flags;
/// its payload is copied once, from Cyclone's received sample straight into the frame
/// (counted in `copies`). A writer whose schema type is not this source's fails the run
/// when it is matched, naming both types. The stream ends when every writer seen sent
/// EOS; a writer lost before its EOS (no liveliness within its 1 s lease, or gone) fails
/// the run naming the topic and the writer, or with `on-loss=eos` ends its stream.
/// A worker element: it runs in a thread (or process) of its own.
class DdsSource final : public WorkerElement {
 public:
  static ElementInfo describe();
  explicit DdsSource(const ElementArgs& args);

  /// Frames received (data and gap); read it after the run.
  std::uint64_t frames_received() const noexcept { return received_; }

 protected:
  void run(WorkerContext& ctx) override;

 private:
  std::string topic_;
  int domain_;
  std::string config_;
  const SchemaType& schema_;
  double timeout_s_;
  std::int64_t queue_;
  std::int64_t max_bytes_;
  bool loss_ends_stream_;
  std::uint64_t received_ = 0;
};

}  // namespace sgn::elements
