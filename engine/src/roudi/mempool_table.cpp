#include "roudi/mempool_table.hpp"

#include <algorithm>
#include <sstream>

#include "iceoryx_posh/mepoo/chunk_header.hpp"
#include "iceoryx_posh/mepoo/chunk_settings.hpp"

namespace sgn::detail {

MempoolTable MempoolTable::parse(const std::string& toml) {
  // A mempool `size` excludes iceoryx's chunk header; an aligned payload may also
  // pay padding. Checked at the exact boundary on this machine.
  auto settings = iox::mepoo::ChunkSettings::create(1, kChunkAlignment);
  const std::size_t overhead = settings.has_error() ? 128 : settings.value().requiredChunkSize() - 1;
  MempoolTable table;
  std::istringstream lines(toml);
  std::size_t size = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string key, equals;
    std::size_t value = 0;
    if (!(words >> key >> equals >> value) || equals != "=") continue;
    if (key == "size") size = value;
    if (key == "count" && size != 0) {
      const std::size_t chunk = size + sizeof(iox::mepoo::ChunkHeader);
      if (chunk > overhead) table.pools.push_back({chunk - overhead, value});
      size = 0;
    }
  }
  std::sort(table.pools.begin(), table.pools.end(), [](const Pool& a, const Pool& b) { return a.payload < b.payload; });
  return table;
}

std::size_t MempoolTable::shm_bytes() const noexcept {
  std::size_t total = kManagementBytes;
  for (const Pool& pool : pools) total += (pool.payload + 2 * sizeof(iox::mepoo::ChunkHeader)) * pool.count;
  return total;
}

std::size_t MempoolTable::chunks_for(std::size_t payload) const noexcept {
  for (const Pool& pool : pools) {
    if (pool.payload >= payload) return pool.count;
  }
  return 0;
}

}  // namespace sgn::detail
