#pragma once
// The mempools of the RouDi config in use: what the largest frame may be, and
// how many chunks back a frame of a given size (to size each link's window).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sgn::detail {

/// Alignment of a frame chunk's payload (Cap'n Proto needs 8).
constexpr std::uint32_t kChunkAlignment = 8;

struct MempoolTable {
  /// iceoryx_mgmt, RouDi's management segment: fixed when iceoryx is built, whatever
  /// the config (Debian 12's iceoryx 2.0.3: 65,805,824 bytes, measured).
  static constexpr std::size_t kManagementBytes = 65805824;
  struct Pool {
    std::size_t payload;  // largest loan (chunk payload) this pool serves
    std::size_t count;
  };
  std::vector<Pool> pools;  // ascending payload

  /// Reads `[[segment.mempool]]` size/count pairs of a RouDi TOML config.
  static MempoolTable parse(const std::string& toml);
  std::size_t largest_payload() const noexcept { return pools.empty() ? 0 : pools.back().payload; }
  /// Shared memory RouDi reserves for these pools and its management segment.
  std::size_t shm_bytes() const noexcept;
  /// Chunks of the pool a loan of `payload` bytes comes from (0 if none fits).
  std::size_t chunks_for(std::size_t payload) const noexcept;
};

}  // namespace sgn::detail
