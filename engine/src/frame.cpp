#include "sgn/frame.hpp"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "detail/segment_builder.hpp"
#include "sgn/error.hpp"

namespace sgn {

std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace detail {

capnp::ReaderOptions reader_options_for(std::size_t message_bytes) noexcept {
  capnp::ReaderOptions options;
  // Each word may be visited a few times by ordinary readers; keep the default floor.
  const std::uint64_t words = message_bytes / sizeof(capnp::word);
  options.traversalLimitInWords = std::max<std::uint64_t>(options.traversalLimitInWords, words * 8);
  return options;
}

void check_schema(const FrameHeader& header, const SchemaType& expected, const std::string& what) {
  if (header.flags & (kFrameEos | kFrameGap)) {
    throw FrameError(fmt::format("{}: frame {} is {} and has no payload to read as {}", what,
                                 header.sequence, (header.flags & kFrameEos) ? "EOS" : "a gap",
                                 expected.name));
  }
  if (header.schema_id != expected.id) {
    throw TypeMismatchError(fmt::format("{}: frame {} carries schema id {:#x}, not {} ({:#x})", what,
                                        header.sequence, header.schema_id, expected.name,
                                        expected.id));
  }
}

}  // namespace detail

FrameWriter::FrameWriter() noexcept = default;

FrameWriter::FrameWriter(FrameStorage* storage, std::string what)
    : storage_(storage), what_(std::move(what)) {
  const std::size_t dirty = std::min(storage_->dirty_bytes(), storage_->capacity());
  if (dirty) std::memset(storage_->payload(), 0, dirty);
  storage_->set_dirty_bytes(0);
}

FrameWriter::FrameWriter(FrameWriter&& other) noexcept
    : storage_(std::exchange(other.storage_, nullptr)),
      builder_(std::move(other.builder_)),
      what_(std::move(other.what_)) {}

FrameWriter& FrameWriter::operator=(FrameWriter&& other) noexcept {
  if (this != &other) {
    FrameWriter dying(std::move(*this));
    storage_ = std::exchange(other.storage_, nullptr);
    builder_ = std::move(other.builder_);
    what_ = std::move(other.what_);
  }
  return *this;
}

FrameWriter::~FrameWriter() {
  if (!storage_) return;
  // A message may have been partly written: remember how much to zero next time.
  if (builder_) {
    std::size_t used = storage_->capacity();
    try {
      used = builder_->used_bytes();
    } catch (...) {
    }
    storage_->set_dirty_bytes(used);
  }
  builder_.reset();
  storage_->release();
}

capnp::MessageBuilder& FrameWriter::message() {
  if (!builder_) {
    builder_ = std::make_unique<detail::SegmentBuilder>(storage_->payload(), storage_->capacity(), what_);
  }
  return *builder_;
}

Frame FrameWriter::finish(std::uint32_t flags) {
  FrameHeader& h = storage_->header();
  const std::size_t used = builder_ ? builder_->used_bytes() : 0;
  storage_->set_dirty_bytes(used);
  h.flags = flags;
  if (flags & (kFrameEos | kFrameGap)) {
    h.message_bytes = 0;
    h.schema_id = 0;
  } else {
    h.message_bytes = used;
  }
  builder_.reset();
  return Frame(std::exchange(storage_, nullptr));
}

}  // namespace sgn
