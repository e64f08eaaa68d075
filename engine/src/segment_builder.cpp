#include "detail/segment_builder.hpp"

#include <fmt/format.h>

#include "sgn/error.hpp"

namespace sgn::detail {

SegmentBuilder::SegmentBuilder(std::byte* space, std::size_t bytes, std::string what)
    : space_(reinterpret_cast<capnp::word*>(space)),
      words_(bytes / sizeof(capnp::word)),
      what_(std::move(what)) {}

kj::ArrayPtr<capnp::word> SegmentBuilder::allocateSegment(capnp::uint minimumSize) {
  if (handed_out_ || minimumSize > words_) {
    const std::size_t used = handed_out_ ? words_ * sizeof(capnp::word) : 0;
    throw FrameError(fmt::format(
        "{}: message outgrew its frame of {} bytes ({} bytes used, {} more needed); "
        "raise the element's max_output_bytes",
        what_, words_ * sizeof(capnp::word), used,
        static_cast<std::size_t>(minimumSize) * sizeof(capnp::word)));
  }
  handed_out_ = true;
  return kj::ArrayPtr<capnp::word>(space_, words_);
}

std::size_t SegmentBuilder::used_bytes() {
  if (!handed_out_) return 0;
  auto segments = getSegmentsForOutput();
  return segments.size() == 0 ? 0 : segments[0].size() * sizeof(capnp::word);
}

}  // namespace sgn::detail
