#pragma once
// Bounds shared by the elements' properties, so that no value in range overflows or
// makes a frame the default shared-memory pools cannot carry.

#include <cstdint>

namespace sgn::elements::detail {

/// Data bytes of the largest frame an element builds: 64 MiB less the 256 bytes an element
/// reserves for Cap'n Proto's framing, so that the message and the 64-byte sgn header fit
/// the largest mempool of roudi-config/sgn-default.toml (64 MiB + 256).
inline constexpr std::int64_t kMaxFrameDataBytes = (std::int64_t{1} << 26) - 256;
/// Frames a source may be asked for: 10^12, days of the fastest stream (~3 M frames/s),
/// and small enough that frames times samples per frame (at most 2^24) fits 64 bits.
inline constexpr std::int64_t kMaxFrames = 1'000'000'000'000;

}  // namespace sgn::elements::detail
