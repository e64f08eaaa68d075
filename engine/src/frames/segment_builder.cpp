#include "frames/segment_builder.hpp"

#include <fmt/format.h>

#include <array>
#include <new>

#include "sgn/error.hpp"

namespace sgn::detail {
namespace {
// A few freed builders per thread: a writer is usually finished on the thread that
// loaned it, so the next frame's builder comes from here.
struct BuilderCache {
  std::array<void*, 4> blocks{};
  std::size_t count = 0;
  ~BuilderCache() {
    for (std::size_t i = 0; i < count; ++i) ::operator delete(blocks[i]);
  }
};
thread_local BuilderCache cache;
}  // namespace

void* SegmentBuilder::operator new(std::size_t bytes) {
  if (bytes == sizeof(SegmentBuilder) && cache.count > 0) return cache.blocks[--cache.count];
  return ::operator new(bytes);
}

void SegmentBuilder::operator delete(void* block) noexcept {
  if (block && cache.count < cache.blocks.size()) {
    cache.blocks[cache.count++] = block;
    return;
  }
  ::operator delete(block);
}

SegmentBuilder::SegmentBuilder(std::byte* space, std::size_t bytes, const std::string* what)
    : space_(reinterpret_cast<capnp::word*>(space)), words_(bytes / sizeof(capnp::word)), what_(what) {}

kj::ArrayPtr<capnp::word> SegmentBuilder::allocateSegment(capnp::uint minimumSize) {
  if (handed_out_ || minimumSize > words_) {
    const std::size_t used = handed_out_ ? words_ * sizeof(capnp::word) : 0;
    throw FrameError(fmt::format(
        "{}: message outgrew its frame of {} bytes ({} bytes used, {} more needed); "
        "raise the element's max_output_bytes",
        *what_, words_ * sizeof(capnp::word), used,
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

namespace {
kj::ArrayPtr<capnp::word> words_of(std::byte* segment, std::size_t bytes) {
  return kj::ArrayPtr<capnp::word>(reinterpret_cast<capnp::word*>(segment), bytes / sizeof(capnp::word));
}
}  // namespace

InPlaceBuilder::InPlaceBuilder(std::byte* segment, std::size_t bytes, const std::string* what)
    : capnp::MessageBuilder(kj::ArrayPtr<SegmentInit>(
          std::array<SegmentInit, 1>{SegmentInit{words_of(segment, bytes), bytes / sizeof(capnp::word)}}.data(), 1)),
      what_(what) {}

kj::ArrayPtr<capnp::word> InPlaceBuilder::allocateSegment(capnp::uint minimumSize) {
  throw FrameError(fmt::format("{}: a message modified in place cannot grow ({} bytes more were asked for); "
                               "set list sizes and blobs in process(), not process_in_place()",
                               *what_, static_cast<std::size_t>(minimumSize) * sizeof(capnp::word)));
}

}  // namespace sgn::detail
