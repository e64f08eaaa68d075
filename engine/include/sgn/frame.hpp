#pragma once
/// Frames: a fixed header plus one Cap'n Proto segment, in storage the engine owns.

#include <capnp/message.h>
#include <capnp/schema.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "sgn/internal/frame_storage.hpp"
#include "sgn/schema_type.hpp"

namespace sgn {

/// Bits of FrameHeader::flags.
enum FrameFlag : std::uint32_t {
  kFrameEos = 1u << 0,  ///< end of stream: no payload, nothing follows on this pad
  kFrameGap = 1u << 1,  ///< a gap in the stream: header only, no payload
  /// Set by FrameWriter::finish() (never taken from its caller) when a Cap'n Proto
  /// builder of this program built the payload in place: one segment, no far
  /// pointers, so readers skip bounds checks. Copied messages are validated.
  kFrameBuiltInPlace = 1u << 2,
};

/// The fixed header at the start of every frame's storage.
struct FrameHeader {
  std::uint64_t sequence = 0;       ///< per output pad; transforms keep their input's
  std::int64_t timestamp_ns = 0;    ///< CLOCK_MONOTONIC when the source produced it
  std::uint64_t schema_id = 0;      ///< Cap'n Proto type id of the payload's root struct
  std::uint64_t message_bytes = 0;  ///< bytes of the payload segment (multiple of 8)
  std::uint32_t flags = 0;          ///< FrameFlag bits
  std::uint32_t reserved = 0;
};
static_assert(sizeof(FrameHeader) == 40);

/// CLOCK_MONOTONIC now, in ns: the clock of FrameHeader::timestamp_ns.
std::int64_t monotonic_ns() noexcept;

/// A typed, read-only view of a frame's payload, valid while the Frame lives.
template <class T>
class FrameView {
 public:
  FrameView(const FrameHeader& header, const std::byte* payload, std::string_view what);
  FrameView(const FrameView&) = delete;
  FrameView& operator=(const FrameView&) = delete;
  typename T::Reader get() const { return root_; }
  typename T::Reader operator*() const { return root_; }
  const typename T::Reader* operator->() const { return &root_; }

 private:
  kj::ArrayPtr<const capnp::word> segments_[1];
  std::optional<capnp::SegmentArrayMessageReader> checked_;  // only for messages not built in place
  typename T::Reader root_;
};

namespace detail {
/// Bytes at the start of a message zeroed for producers that write every list they
/// allocate, or none (FrameWriter::skip_zeroing, leave_lists_zero): the root pointer
/// and the structs of small messages.
inline constexpr std::size_t kStructurePrefixBytes = 256;
capnp::ReaderOptions reader_options_for(std::size_t message_bytes) noexcept;
/// Throws TypeMismatchError when `header` does not carry `expected`.
void check_schema(const FrameHeader& header, const SchemaType& expected, std::string_view what);
class FrameAccess;  // the transports' door to storage (engine/src/frames/frame_access.hpp)
}  // namespace detail

/// A published frame: an immutable, shared handle (copying it shares the storage).
class Frame {
 public:
  Frame() = default;
  Frame(const Frame& other) noexcept : storage_(other.storage_) {
    if (storage_) storage_->add_ref();
  }
  Frame(Frame&& other) noexcept : storage_(other.storage_) { other.storage_ = nullptr; }
  Frame& operator=(Frame other) noexcept {
    std::swap(storage_, other.storage_);
    return *this;
  }
  ~Frame() {
    if (storage_) storage_->release();
  }

  explicit operator bool() const noexcept { return storage_ != nullptr; }
  const FrameHeader& header() const noexcept { return storage_->header(); }
  bool eos() const noexcept { return (header().flags & kFrameEos) != 0; }
  bool gap() const noexcept { return (header().flags & kFrameGap) != 0; }
  /// The payload segment, `header().message_bytes` long.
  const std::byte* payload() const noexcept { return storage_->payload(); }
  std::size_t capacity() const noexcept { return storage_->capacity(); }
  /// No other handle shares this frame.
  bool unique() const noexcept { return storage_ && storage_->ref_count() == 1; }
  /// Whether this frame may be kept past the element's step by a library that drops it
  /// later, on a thread of its own, even after the run (heap storage: yes; a shared-memory
  /// chunk of a subscriber: no, copy it).
  bool outlives_pipeline() const noexcept { return storage_ && storage_->outlives_pipeline(); }

  /// Reads the payload as T in place. Throws TypeMismatchError if it is another type,
  /// or FrameError for an EOS or gap frame (they carry no payload).
  template <class T>
  FrameView<T> read(std::string_view what = "frame") const {
    return FrameView<T>(header(), payload(), what);
  }

 private:
  friend class detail::FrameAccess;  // the transports: adopt and give up storage
  explicit Frame(FrameStorage* adopted) noexcept : storage_(adopted) {}
  FrameStorage* storage_ = nullptr;
};

namespace detail {
class SegmentBuilder;
}

/// An unpublished frame being built. Move-only; an unpublished loan is returned
/// to its storage when the writer is destroyed.
class FrameWriter {
 public:
  FrameWriter() noexcept;
  FrameWriter(FrameWriter&&) noexcept;
  FrameWriter& operator=(FrameWriter&&) noexcept;
  ~FrameWriter();

  explicit operator bool() const noexcept { return storage_ != nullptr; }
  FrameHeader& header() noexcept { return storage_->header(); }
  std::size_t capacity() const noexcept { return storage_->capacity(); }

  /// Starts the payload as a T (the header's schema id follows).
  template <class T>
  typename T::Builder init() {
    header().schema_id = schema_type<T>().id;
    return message().template initRoot<T>();
  }
  /// The payload started by init<T>().
  template <class T>
  typename T::Builder root() {
    return message().template getRoot<T>();
  }
  /// The underlying Cap'n Proto builder (one segment over the storage).
  capnp::MessageBuilder& message();
  /// Zeroes only the first 256 bytes of what an earlier frame left in reused
  /// storage, not all of it (Cap'n Proto builds on zeroed memory): saves a memset
  /// of the earlier frame's size. Only for a producer that sets every field and
  /// fully writes the lists it allocates (or does not care what unwritten bytes
  /// hold), and whose structs and lists of pointers fit in those 256 bytes: blobs
  /// and lists of numbers (Bytes, Samples) beyond them are never followed.
  /// Call before init<T>().
  void skip_zeroing() noexcept { skip_zeroing_ = true; }
  /// For a producer that allocates its lists and blobs but writes none of their
  /// elements (they read as zeros: content that never changes, like `bytes-source
  /// fill=none`): the frame then leaves only its first 256 bytes dirty, so the next
  /// frame built in this storage zeroes only those. Same structure rule as
  /// skip_zeroing(). Call before init<T>().
  void leave_lists_zero() noexcept { lists_zero_ = true; }
  /// Instead of building a message, copies a finished one: its single segment of `bytes`
  /// (whole words) and the schema id of its root. finish() seals it. For stored frames.
  void copy_message(const std::byte* segment, std::size_t bytes, std::uint64_t schema_id);
  /// copy_message() for a finished message that arrives in pieces (a network's fragments):
  /// the first `bytes` of the payload (whole words), which the caller fills before finish().
  std::span<std::byte> message_to_fill(std::size_t bytes, std::uint64_t schema_id);

  /// Seals the header (size, flags) and hands the frame over for publishing.
  Frame finish(std::uint32_t flags = 0);

 private:
  friend class detail::FrameAccess;  // the allocators: a writer over a fresh loan
  /// Takes a freshly loaned storage (reference count 1); `what` names the loaning pad in errors.
  FrameWriter(FrameStorage* storage, std::string what);
  /// Bytes a message of `used` bytes built here may have left non-zero.
  std::size_t dirtied_by(std::size_t used) const noexcept;
  FrameStorage* storage_ = nullptr;
  std::unique_ptr<detail::SegmentBuilder> builder_;
  std::size_t copied_bytes_ = 0;
  std::size_t stale_bytes_ = 0;  // payload bytes an earlier frame may have left non-zero
  bool skip_zeroing_ = false;
  bool lists_zero_ = false;
  std::string what_;
};

template <class T>
FrameView<T>::FrameView(const FrameHeader& header, const std::byte* payload, std::string_view what) {
  detail::check_schema(header, schema_type<T>(), what);
  const auto* words = reinterpret_cast<const capnp::word*>(payload);
  if (header.flags & kFrameBuiltInPlace) {
    root_ = capnp::readMessageUnchecked<T>(words);
    return;
  }
  segments_[0] = kj::ArrayPtr<const capnp::word>(words, header.message_bytes / sizeof(capnp::word));
  checked_.emplace(kj::ArrayPtr<const kj::ArrayPtr<const capnp::word>>(segments_, 1),
                   detail::reader_options_for(header.message_bytes));
  root_ = checked_->template getRoot<T>();
}

}  // namespace sgn
