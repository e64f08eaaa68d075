#pragma once
/// "file-source": replays a Samples stream stored by file-sink.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>

#include <cstdint>
#include <string>

namespace sgn::elements {

/// Reads the StoredFrame messages of a file-sink file and copies each stored segment
/// into a newly loaned frame (one copy), restoring the header's sequence number and
/// timestamp, so the replayed frames equal the stored ones bit for bit. With `restamp`
/// the frames get the time they are read instead (for latency measured downstream).
/// A worker element: it runs in a thread (or process) of its own.
class FileSource final : public WorkerElement {
 public:
  static ElementInfo describe();
  explicit FileSource(const ElementArgs& args);

  /// Frames replayed (data and gap); read it after the run.
  std::uint64_t frames_read() const noexcept { return frames_; }

 protected:
  void run(WorkerContext& ctx) override;

 private:
  std::string location_;
  bool restamp_;
  std::uint64_t frames_ = 0;
};

}  // namespace sgn::elements
