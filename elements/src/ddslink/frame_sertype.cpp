#include "ddslink/frame_sertype.hpp"
#include "ddslink/frame_type.hpp"
#include "ddslink/sample_memory.hpp"

#include <dds/ddsi/ddsi_serdata.h>
#include <dds/ddsi/ddsi_sertype.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

namespace sgn::elements::dds {
namespace {

// One serialized sample: `head` (the CDR header, the fields and the first payload bytes,
// copied) followed by `tail` (the rest of the payload, in the held frame), `size` in all.
struct FrameSerdata {
  ddsi_serdata c;  // first: Cyclone's pointer to it is a pointer to this
  std::uint32_t size;
  std::uint32_t head_size;
  std::byte* head;
  const std::byte* tail;
  Frame* held;  // keeps `tail` valid; null when everything is in `head`
  std::uint64_t sequence;
};
static_assert(std::is_standard_layout_v<FrameSerdata>);

FrameSerdata* of(const ddsi_serdata* d) { return reinterpret_cast<FrameSerdata*>(const_cast<ddsi_serdata*>(d)); }

std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

template <class T>
void put(std::byte* at, T value) {
  std::memcpy(at, &value, sizeof value);  // little-endian host: CDR_LE as is
}
static_assert(std::endian::native == std::endian::little);

// -- the serdata's operations ----------------------------------------------------------

// One allocation for both, recycled by sample_memory: Cyclone frees samples on its own
// threads (as readers acknowledge them).
FrameSerdata* allocate(const ddsi_sertype* type, ddsi_serdata_kind kind, std::size_t head_size) {
  void* memory = sample_memory::allocate(sizeof(FrameSerdata) + head_size);
  if (!memory) return nullptr;
  auto* d = new (memory) FrameSerdata{};
  d->head = static_cast<std::byte*>(memory) + sizeof(FrameSerdata);
  ddsi_serdata_init(&d->c, type, kind);
  d->head_size = static_cast<std::uint32_t>(head_size);
  d->size = d->head_size;
  return d;
}

void serdata_free(ddsi_serdata* dcmn) {
  FrameSerdata* d = of(dcmn);
  delete d->held;  // the frame's last handle may go here, on one of Cyclone's threads
  sample_memory::release(d);
}

ddsi_serdata* from_sample(const ddsi_sertype* type, ddsi_serdata_kind kind, const void* sample_ptr) {
  static constexpr std::byte kHeader[4] = {std::byte{0x00}, std::byte{0x01}, std::byte{0}, std::byte{0}};  // CDR_LE
  if (kind != SDK_DATA) {  // the key of a keyless type: nothing after the header
    FrameSerdata* d = allocate(type, kind, sizeof kHeader);
    if (d) std::memcpy(d->head, kHeader, sizeof kHeader);
    return d ? &d->c : nullptr;
  }
  const auto& s = *static_cast<const OutgoingSample*>(sample_ptr);
  // XCDR1, final struct: offsets from the end of the 4-byte header, 8-byte fields 8-aligned.
  const std::size_t name_bytes = s.schema.size() + 1;
  const std::size_t length_at = align4(32 + name_bytes);
  const std::size_t prefix = sizeof kHeader + length_at + 4;
  const std::size_t unpadded = prefix + s.payload_bytes;
  const std::size_t pad = align4(unpadded - sizeof kHeader) - (unpadded - sizeof kHeader);
  const bool refer = pad == 0 && s.frame && s.payload_bytes > kCopiedPayloadBytes && s.frame->outlives_pipeline();
  const std::size_t copied = refer ? kCopiedPayloadBytes : s.payload_bytes;
  FrameSerdata* d = allocate(type, kind, prefix + copied + pad);
  if (!d) return nullptr;
  std::byte* body = d->head + sizeof kHeader;
  std::memcpy(d->head, kHeader, sizeof kHeader);
  d->head[3] = static_cast<std::byte>(pad);  // options: the padding's length (big-endian)
  std::memset(body, 0, length_at);           // alignment gaps
  put(body + 0, s.sequence);
  put(body + 8, s.timestamp_ns);
  put(body + 16, s.schema_id);
  put(body + 24, s.flags);
  put(body + 28, static_cast<std::uint32_t>(name_bytes));
  std::memcpy(body + 32, s.schema.data(), s.schema.size());
  body[32 + s.schema.size()] = std::byte{0};
  put(body + length_at, s.payload_bytes);
  if (copied > 0) std::memcpy(d->head + prefix, s.frame->payload(), copied);
  std::memset(d->head + prefix + copied, 0, pad);
  if (refer) {
    d->held = new (std::nothrow) Frame(*s.frame);
    if (!d->held) {
      serdata_free(&d->c);
      return nullptr;
    }
    d->tail = s.frame->payload() + copied;
    d->size = static_cast<std::uint32_t>(unpadded);
  }
  d->sequence = s.sequence;
  return &d->c;
}

// Copies [off, off + sz) of the serialized sample to `out`.
void copy_range(const FrameSerdata& d, std::size_t off, std::size_t sz, std::byte* out) {
  if (off < d.head_size) {
    const std::size_t n = std::min(sz, d.head_size - off);
    std::memcpy(out, d.head + off, n);
    out += n;
    off += n;
    sz -= n;
  }
  if (sz > 0) std::memcpy(out, d.tail + (off - d.head_size), sz);
}

void to_ser(const ddsi_serdata* dcmn, size_t off, size_t sz, void* buf) {
  copy_range(*of(dcmn), off, sz, static_cast<std::byte*>(buf));
}

// A range within `head` or within `tail` is referred to in place; one across both (the
// fragment where the copy ends) is copied into a buffer of its own, freed by to_ser_unref.
ddsi_serdata* to_ser_ref(const ddsi_serdata* dcmn, size_t off, size_t sz, ddsrt_iovec_t* ref) {
  const FrameSerdata& d = *of(dcmn);
  ref->iov_len = static_cast<ddsrt_iov_len_t>(sz);
  if (off + sz <= d.head_size) {
    ref->iov_base = d.head + off;
  } else if (off >= d.head_size) {
    ref->iov_base = const_cast<std::byte*>(d.tail + (off - d.head_size));
  } else {
    auto* joined = static_cast<std::byte*>(std::malloc(sz));
    if (!joined) return nullptr;
    copy_range(d, off, sz, joined);
    ref->iov_base = joined;
  }
  return ddsi_serdata_ref(dcmn);
}

void to_ser_unref(ddsi_serdata* dcmn, const ddsrt_iovec_t* ref) {
  const FrameSerdata& d = *of(dcmn);
  const auto* p = static_cast<const std::byte*>(ref->iov_base);
  const bool in_head = p >= d.head && p < d.head + d.head_size;
  const bool in_tail = d.held && p >= d.tail && p < d.tail + (d.size - d.head_size);
  if (!in_head && !in_tail) std::free(ref->iov_base);
  ddsi_serdata_unref(dcmn);
}

uint32_t get_size(const ddsi_serdata* d) { return of(d)->size; }

ddsi_serdata* key_only(const ddsi_sertype* type) { return from_sample(type, SDK_KEY, nullptr); }

// The instance map keeps an untyped key of the one instance: the header alone.
ddsi_serdata* to_untyped(const ddsi_serdata* dcmn) { return frame_type::untyped_key(dcmn, key_only); }

size_t print(const ddsi_sertype*, const ddsi_serdata* dcmn, char* buf, size_t size) {
  const int n = std::snprintf(buf, size, "sgn frame %llu, %u bytes",
                              static_cast<unsigned long long>(of(dcmn)->sequence), of(dcmn)->size);
  return n < 0 ? 0 : static_cast<size_t>(n);
}

// A copy of serialized bytes (Cyclone's conversions between types go through these).
ddsi_serdata* from_ser_iov(const ddsi_sertype* type, ddsi_serdata_kind kind, ddsrt_msg_iovlen_t niov,
                           const ddsrt_iovec_t* iov, size_t size) {
  FrameSerdata* d = allocate(type, kind, size);
  if (!d) return nullptr;
  std::size_t at = 0;
  for (ddsrt_msg_iovlen_t i = 0; i < niov && at < size; ++i) {
    const std::size_t n = std::min<std::size_t>(iov[i].iov_len, size - at);
    std::memcpy(d->head + at, iov[i].iov_base, n);
    at += n;
  }
  return &d->c;
}

const ddsi_serdata_ops kSerdataOps = {
    .eqkey = frame_type::eqkey,
    .get_size = get_size,
    .from_ser = nullptr,  // no reader has this type
    .from_ser_iov = from_ser_iov,
    .from_keyhash = nullptr,
    .from_sample = from_sample,
    .to_ser = to_ser,
    .to_ser_ref = to_ser_ref,
    .to_ser_unref = to_ser_unref,
    .to_sample = frame_type::to_sample,  // writer-side only: no sample is made of one
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

dds_entity_t create_writer_topic(dds_entity_t participant, const std::string& name) {
  return frame_type::create_topic(participant, name, &kSerdataOps, DDS_DATA_REPRESENTATION_FLAG_XCDR1);
}

std::vector<std::byte> serialized_bytes(const OutgoingSample& sample) {
  ddsi_sertype* type = frame_type::new_sertype(&kSerdataOps, DDS_DATA_REPRESENTATION_FLAG_XCDR1);
  std::vector<std::byte> bytes;
  if (ddsi_serdata* d = from_sample(type, SDK_DATA, &sample)) {
    bytes.resize(ddsi_serdata_size(d));
    to_ser(d, 0, bytes.size(), bytes.data());
    ddsi_serdata_unref(d);
  }
  ddsi_sertype_unref(type);
  return bytes;
}

}  // namespace sgn::elements::dds
