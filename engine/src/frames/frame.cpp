#include "sgn/frame.hpp"
#include "frames/frame_access.hpp"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "frames/segment_builder.hpp"
#include "sgn/error.hpp"

namespace sgn {

std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace {
// Function statics: schema_type<T>() may run during another file's static initialization.
std::mutex& schemas_mutex() {
  static std::mutex mutex;
  return mutex;
}
std::map<std::uint64_t, SchemaType>& schemas() {
  static std::map<std::uint64_t, SchemaType> table;  // nodes never move: references stay valid
  return table;
}
}  // namespace

const SchemaType& detail::remember_schema(SchemaType type) {
  std::lock_guard lock(schemas_mutex());
  const std::uint64_t id = type.id;
  return schemas().try_emplace(id, std::move(type)).first->second;
}

std::string schema_name(std::uint64_t id) {
  {
    std::lock_guard lock(schemas_mutex());
    auto it = schemas().find(id);
    if (it != schemas().end()) return it->second.name;
  }
  return fmt::format("schema {:#x}", id);
}

namespace detail {

capnp::ReaderOptions reader_options_for(std::size_t message_bytes) noexcept {
  capnp::ReaderOptions options;
  // Each word may be visited a few times by ordinary readers; keep the default floor.
  const std::uint64_t words = message_bytes / sizeof(capnp::word);
  options.traversalLimitInWords = std::max<std::uint64_t>(options.traversalLimitInWords, words * 8);
  return options;
}

void check_schema(const FrameHeader& header, const SchemaType& expected, std::string_view what) {
  if (header.flags & (kFrameEos | kFrameGap)) {
    throw FrameError(fmt::format("{}: frame {} is {} and has no payload to read as {}", what,
                                 header.sequence, (header.flags & kFrameEos) ? "EOS" : "a gap",
                                 expected.name));
  }
  if (header.schema_id != expected.id) {
    throw TypeMismatchError(fmt::format("{}: frame {} carries {} ({:#x}), not {} ({:#x})", what,
                                        header.sequence, schema_name(header.schema_id), header.schema_id,
                                        expected.name, expected.id));
  }
}

}  // namespace detail

FrameWriter::FrameWriter() noexcept = default;

FrameWriter::FrameWriter(FrameStorage* storage, std::string what)
    : storage_(storage),
      stale_bytes_(std::min(storage->dirty_bytes(), storage->capacity())),
      what_(std::move(what)) {
  storage_->header() = FrameHeader{};  // reused storage (a pooled buffer, a chunk) keeps the last header
}

FrameWriter::FrameWriter(FrameWriter&& other) noexcept
    : storage_(std::exchange(other.storage_, nullptr)),
      builder_(std::move(other.builder_)),
      copied_bytes_(std::exchange(other.copied_bytes_, 0)),
      stale_bytes_(std::exchange(other.stale_bytes_, 0)),
      skip_zeroing_(other.skip_zeroing_),
      lists_zero_(other.lists_zero_),
      what_(std::move(other.what_)) {
  if (builder_) builder_->rename(&what_);
}

FrameWriter& FrameWriter::operator=(FrameWriter&& other) noexcept {
  if (this != &other) {
    FrameWriter dying(std::move(*this));
    storage_ = std::exchange(other.storage_, nullptr);
    builder_ = std::move(other.builder_);
    copied_bytes_ = std::exchange(other.copied_bytes_, 0);
    stale_bytes_ = std::exchange(other.stale_bytes_, 0);
    skip_zeroing_ = other.skip_zeroing_;
    lists_zero_ = other.lists_zero_;
    what_ = std::move(other.what_);
    if (builder_) builder_->rename(&what_);
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
    storage_->set_dirty_bytes(std::max(dirtied_by(used), stale_bytes_));
  } else {
    storage_->set_dirty_bytes(std::max(copied_bytes_, stale_bytes_));
  }
  builder_.reset();
  storage_->release();
}

capnp::MessageBuilder& FrameWriter::message() {
  if (copied_bytes_) throw FrameError(fmt::format("{}: the frame already holds a copied message", what_));
  if (!builder_) {
    if (stale_bytes_) {
      // Cap'n Proto (0.9.2, message.h: allocateSegment returns zeroed words) assumes a
      // new segment is zero: it follows any non-null pointer it initializes over (to
      // zero the old object) and leaves unset fields as it found them. List and blob
      // contents it never reads, so a producer that writes them all (skip_zeroing)
      // needs only the structure cleared: the root pointer and small structs.
      const std::size_t zero =
          skip_zeroing_ ? std::min(stale_bytes_, detail::kStructurePrefixBytes) : stale_bytes_;
      std::memset(storage_->payload(), 0, zero);
      if (zero == stale_bytes_) stale_bytes_ = 0;
    }
    builder_ = std::make_unique<detail::SegmentBuilder>(storage_->payload(), storage_->capacity(), &what_);
  }
  return *builder_;
}

std::size_t FrameWriter::dirtied_by(std::size_t used) const noexcept {
  // Lists left as the zeroed memory they were allocated in: only the structure was written.
  return lists_zero_ ? std::min(used, detail::kStructurePrefixBytes) : used;
}

void FrameWriter::copy_message(const std::byte* segment, std::size_t bytes, std::uint64_t schema_id) {
  const std::span<std::byte> payload = message_to_fill(bytes, schema_id);
  if (bytes) std::memcpy(payload.data(), segment, bytes);
}

std::span<std::byte> FrameWriter::message_to_fill(std::size_t bytes, std::uint64_t schema_id) {
  if (builder_ || copied_bytes_) {
    throw FrameError(fmt::format("{}: a message copied into a frame that already holds one", what_));
  }
  if (bytes % sizeof(capnp::word) != 0 || bytes > storage_->capacity()) {
    throw FrameError(fmt::format("{}: a segment of {} bytes is not whole words or does not fit a frame of {} bytes",
                                 what_, bytes, storage_->capacity()));
  }
  copied_bytes_ = bytes;
  header().schema_id = schema_id;
  return {storage_->payload(), bytes};
}

Frame FrameWriter::finish(std::uint32_t flags) {
  FrameHeader& h = storage_->header();
  const std::size_t used = builder_ ? builder_->used_bytes() : copied_bytes_;
  storage_->set_dirty_bytes(std::max(builder_ ? dirtied_by(used) : used, stale_bytes_));
  copied_bytes_ = 0;
  h.flags = flags & ~kFrameBuiltInPlace;
  if (flags & (kFrameEos | kFrameGap)) {
    h.message_bytes = 0;
    h.schema_id = 0;
  } else {
    h.message_bytes = used;
    if (builder_ && used > 0) h.flags |= kFrameBuiltInPlace;
  }
  builder_.reset();
  return detail::FrameAccess::adopt(std::exchange(storage_, nullptr));
}

}  // namespace sgn
