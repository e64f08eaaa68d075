#include "ddslink/received_sertype.hpp"
#include "ddslink/frame_type.hpp"
#include "ddslink/sample_memory.hpp"

#include <dds/ddsi/ddsi_serdata.h>
#include <dds/ddsi/ddsi_sertype.h>
#include <dds/ddsi/q_radmin.h>
#include <dds/ddsrt/atomics.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <type_traits>

namespace sgn::elements::dds {
namespace {

// Bytes [offset, offset + size) of the serialized sample, at `data`.
struct Piece {
  const std::byte* data;
  std::size_t offset;
  std::size_t size;
};

// One received sample: its bytes as `count` pieces in order. `held` is the fragment chain
// whose receive buffers the pieces point into (one reference to each fragment's message,
// dropped with the sample); null when the pieces point into the copy after them.
struct ReceivedSerdata {
  ddsi_serdata c;  // first: Cyclone's pointer to it is a pointer to this
  std::size_t size;
  std::size_t count;
  nn_rdata* held;
  Piece* pieces;
};
static_assert(std::is_standard_layout_v<ReceivedSerdata>);

ReceivedSerdata* of(const ddsi_serdata* d) {
  return reinterpret_cast<ReceivedSerdata*>(const_cast<ddsi_serdata*>(d));
}

// One allocation for the sample, its pieces and `copied` bytes after them, recycled by
// sample_memory: the thread that takes a sample frees it, not Cyclone's that made it.
ReceivedSerdata* allocate(const ddsi_sertype* type, ddsi_serdata_kind kind, std::size_t count, std::size_t copied) {
  void* memory = sample_memory::allocate(sizeof(ReceivedSerdata) + count * sizeof(Piece) + copied);
  if (!memory) return nullptr;
  auto* d = new (memory) ReceivedSerdata{};
  ddsi_serdata_init(&d->c, type, kind);
  d->pieces = reinterpret_cast<Piece*>(static_cast<std::byte*>(memory) + sizeof(ReceivedSerdata));
  d->count = count;
  return d;
}

// A sample of `size` bytes copied whole: one piece, after the pieces array.
ReceivedSerdata* allocate_copy(const ddsi_sertype* type, ddsi_serdata_kind kind, std::size_t size) {
  ReceivedSerdata* d = allocate(type, kind, 1, size);
  if (!d) return nullptr;
  d->size = size;
  d->pieces[0] = {reinterpret_cast<const std::byte*>(d->pieces + 1), 0, size};
  return d;
}

std::byte* copy_area(ReceivedSerdata* d) { return const_cast<std::byte*>(d->pieces[0].data); }

// The key of the keyless type: a CDR header and nothing after it.
ddsi_serdata* key_only(const ddsi_sertype* type, ddsi_serdata_kind kind) {
  static constexpr std::byte kHeader[4] = {std::byte{0x00}, std::byte{0x01}, std::byte{0}, std::byte{0}};  // CDR_LE
  ReceivedSerdata* d = allocate_copy(type, kind, sizeof kHeader);
  if (!d) return nullptr;
  std::memcpy(copy_area(d), kHeader, sizeof kHeader);
  return &d->c;
}

void copy_range(const ReceivedSerdata& d, std::size_t off, std::size_t sz, std::byte* out) {
  // The first piece that ends after `off` (pieces are in order and do not overlap).
  const Piece* p = std::upper_bound(d.pieces, d.pieces + d.count, off,
                                    [](std::size_t at, const Piece& piece) { return at < piece.offset + piece.size; });
  for (; sz > 0 && p != d.pieces + d.count; ++p) {
    const std::size_t within = off - p->offset;
    const std::size_t n = std::min(sz, p->size - within);
    std::memcpy(out, p->data + within, n);
    out += n;
    off += n;
    sz -= n;
  }
}

// -- the serdata's operations ----------------------------------------------------------

void serdata_free(ddsi_serdata* dcmn) {
  ReceivedSerdata* d = of(dcmn);
  if (d->held) nn_fragchain_unref(d->held);  // any thread may free a receive buffer
  sample_memory::release(d);
}

// Walks the fragments of a sample of `size` bytes as Cyclone hands them to from_ser: in
// order of their offsets, possibly overlapping (a fragment resent with other boundaries).
// Calls visit(piece) for each part that adds bytes; returns how many.
template <class Visit>
std::size_t walk(const nn_rdata* fragment, std::size_t size, Visit&& visit) {
  std::size_t count = 0;
  for (std::size_t off = 0; fragment && off < size; fragment = fragment->nextfrag) {
    if (fragment->maxp1 <= off) continue;  // adds nothing
    if (fragment->min > off) break;         // a hole: not a complete sample
    const auto* payload =
        reinterpret_cast<const std::byte*>(NN_RMSG_PAYLOADOFF(fragment->rmsg, NN_RDATA_PAYLOAD_OFF(fragment)));
    const std::size_t end = std::min<std::size_t>(fragment->maxp1, size);
    visit(Piece{payload + (off - fragment->min), off, end - off});
    off = end;
    ++count;
  }
  return count;
}

// Called by Cyclone (a receive or delivery thread) with a complete sample's fragments.
ddsi_serdata* from_ser(const ddsi_sertype* type, ddsi_serdata_kind kind, const nn_rdata* fragchain, size_t size) {
  if (kind != SDK_DATA) return key_only(type, kind);
  std::size_t covered = 0;
  const std::size_t count = walk(fragchain, size, [&](const Piece& p) { covered = p.offset + p.size; });
  if (covered != size) return nullptr;  // Cyclone passes complete samples only
  if (count == 1 || size < kHeldFromBytes) {
    ReceivedSerdata* d = allocate_copy(type, kind, size);
    if (!d) return nullptr;
    std::byte* out = copy_area(d);
    walk(fragchain, size, [&](const Piece& p) { std::memcpy(out + p.offset, p.data, p.size); });
    return &d->c;
  }
  ReceivedSerdata* d = allocate(type, kind, count, 0);
  if (!d) return nullptr;
  d->size = size;
  Piece* next = d->pieces;
  walk(fragchain, size, [&](const Piece& p) { *next++ = p; });
  // A reference to every fragment's message (as nn_fragchain_unref drops them): Cyclone's
  // own references keep them alive while it delivers, so adding one here is safe.
  for (const nn_rdata* f = fragchain; f; f = f->nextfrag) ddsrt_atomic_inc32(&f->rmsg->refcount);
  d->held = const_cast<nn_rdata*>(fragchain);
  return &d->c;
}

// A copy of serialized bytes (a writer of this process delivers through these).
ddsi_serdata* from_ser_iov(const ddsi_sertype* type, ddsi_serdata_kind kind, ddsrt_msg_iovlen_t niov,
                           const ddsrt_iovec_t* iov, size_t size) {
  if (kind != SDK_DATA) return key_only(type, kind);
  ReceivedSerdata* d = allocate_copy(type, kind, size);
  if (!d) return nullptr;
  std::size_t at = 0;
  for (ddsrt_msg_iovlen_t i = 0; i < niov && at < size; ++i) {
    const std::size_t n = std::min<std::size_t>(iov[i].iov_len, size - at);
    std::memcpy(copy_area(d) + at, iov[i].iov_base, n);
    at += n;
  }
  return &d->c;
}

ddsi_serdata* from_keyhash(const ddsi_sertype* type, const ddsi_keyhash*) { return key_only(type, SDK_KEY); }

void to_ser(const ddsi_serdata* dcmn, size_t off, size_t sz, void* buf) {
  copy_range(*of(dcmn), off, sz, static_cast<std::byte*>(buf));
}

// A range within one piece is referred to in place; one across pieces is copied into a
// buffer of its own, freed by to_ser_unref.
ddsi_serdata* to_ser_ref(const ddsi_serdata* dcmn, size_t off, size_t sz, ddsrt_iovec_t* ref) {
  const ReceivedSerdata& d = *of(dcmn);
  ref->iov_len = static_cast<ddsrt_iov_len_t>(sz);
  const Piece* p = std::upper_bound(d.pieces, d.pieces + d.count, off,
                                    [](std::size_t at, const Piece& piece) { return at < piece.offset + piece.size; });
  if (p != d.pieces + d.count && off + sz <= p->offset + p->size) {
    ref->iov_base = const_cast<std::byte*>(p->data + (off - p->offset));
  } else {
    auto* joined = static_cast<std::byte*>(std::malloc(std::max<std::size_t>(sz, 1)));
    if (!joined) return nullptr;
    copy_range(d, off, sz, joined);
    ref->iov_base = joined;
  }
  return ddsi_serdata_ref(dcmn);
}

void to_ser_unref(ddsi_serdata* dcmn, const ddsrt_iovec_t* ref) {
  const ReceivedSerdata& d = *of(dcmn);
  const auto* at = static_cast<const std::byte*>(ref->iov_base);
  const bool in_piece = std::any_of(d.pieces, d.pieces + d.count,
                                    [&](const Piece& p) { return at >= p.data && at < p.data + p.size; });
  if (!in_piece) std::free(ref->iov_base);
  ddsi_serdata_unref(dcmn);
}

uint32_t get_size(const ddsi_serdata* d) { return static_cast<uint32_t>(of(d)->size); }

ddsi_serdata* key_of(const ddsi_sertype* type) { return key_only(type, SDK_KEY); }

// The instance map keeps an untyped key of the one instance: the header alone.
ddsi_serdata* to_untyped(const ddsi_serdata* dcmn) { return frame_type::untyped_key(dcmn, key_of); }

// Reader-side only, taken serialized (dds_takecdr): nothing makes a sample of this type.
ddsi_serdata* from_sample(const ddsi_sertype*, ddsi_serdata_kind, const void*) { return nullptr; }

size_t print(const ddsi_sertype*, const ddsi_serdata* dcmn, char* buf, size_t size) {
  const int n = std::snprintf(buf, size, "sgn frame sample, %zu bytes in %zu pieces", of(dcmn)->size, of(dcmn)->count);
  return n < 0 ? 0 : static_cast<size_t>(n);
}

const ddsi_serdata_ops kSerdataOps = {
    .eqkey = frame_type::eqkey,
    .get_size = get_size,
    .from_ser = from_ser,
    .from_ser_iov = from_ser_iov,
    .from_keyhash = from_keyhash,
    .from_sample = from_sample,
    .to_ser = to_ser,
    .to_ser_ref = to_ser_ref,
    .to_ser_unref = to_ser_unref,
    .to_sample = frame_type::to_sample,
    .to_untyped = to_untyped,
    .untyped_to_sample = frame_type::untyped_to_sample,
    .free = serdata_free,
    .print = print,
    .get_keyhash = frame_type::get_keyhash,
#ifdef DDS_HAS_SHM
    .get_sample_size = nullptr,
    .from_iox_buffer = nullptr,
#endif
};

}  // namespace

dds_entity_t create_reader_topic(dds_entity_t participant, const std::string& name) {
  return frame_type::create_topic(participant, name, &kSerdataOps,
                                  DDS_DATA_REPRESENTATION_FLAG_XCDR1 | DDS_DATA_REPRESENTATION_FLAG_XCDR2);
}

ReceivedBytes::ReceivedBytes(const ddsi_serdata* sample) : data_(of(sample)) {
  if (sample->ops != &kSerdataOps) throw std::logic_error("ReceivedBytes of a sample not taken from a reader topic");
}
std::span<const std::byte> ReceivedBytes::prefix(std::span<std::byte> scratch) const noexcept {
  const auto& d = *static_cast<const ReceivedSerdata*>(data_);
  const std::size_t n = std::min(d.size, scratch.size());
  if (d.count > 0 && d.pieces[0].size >= n) return {d.pieces[0].data, d.pieces[0].size};
  copy_range(d, 0, n, scratch.data());
  return scratch.first(n);
}
std::size_t ReceivedBytes::size() const noexcept { return static_cast<const ReceivedSerdata*>(data_)->size; }
std::size_t ReceivedBytes::pieces() const noexcept { return static_cast<const ReceivedSerdata*>(data_)->count; }
void ReceivedBytes::copy(std::size_t offset, std::size_t n, std::byte* out) const noexcept {
  copy_range(*static_cast<const ReceivedSerdata*>(data_), offset, n, out);
}

}  // namespace sgn::elements::dds
