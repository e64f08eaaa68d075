#pragma once
/// "file-sink": stores a Samples stream in a file that file-source reads back.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>

#include <cstdint>
#include <string>

namespace sgn::elements {

/// The file is a Cap'n Proto stream (capnp::writeMessageToFd framing) of one
/// sgn::schema::StoredFrame per data or gap frame: the header and, for data frames,
/// the payload's single segment byte for byte (written without copying it). EOS is
/// not stored: the end of the file is the end of the stream. Carries Samples only,
/// like file-source. A worker element: it runs in a thread (or process) of its own.
class FileSink final : public WorkerElement {
 public:
  static ElementInfo describe();
  explicit FileSink(const ElementArgs& args);

  /// Frames written (data and gap); read it after the run.
  std::uint64_t frames_written() const noexcept { return frames_; }

 protected:
  void run(WorkerContext& ctx) override;

 private:
  std::string location_;
  std::uint64_t frames_ = 0;
};

}  // namespace sgn::elements
