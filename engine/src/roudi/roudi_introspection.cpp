#include "roudi/roudi_introspection.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "iceoryx_posh/popo/subscriber.hpp"
#include "iceoryx_posh/roudi/introspection_types.hpp"
#include "process/roudi_request.hpp"

namespace sgn::detail {
namespace {

using iox::roudi::MemPoolIntrospectionInfo;
using iox::roudi::MemPoolIntrospectionInfoContainer;

/// The group iceoryx names as a segment's writer: this process's effective group.
std::string own_group() {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (::getgrgid_r(::getegid(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found) return "";
  return std::string(found->gr_name).substr(0, iox::roudi::MAX_GROUP_NAME_LENGTH);
}

std::size_t largest_chunk(const MemPoolIntrospectionInfo& segment) {
  std::size_t largest = 0;
  for (const auto& pool : segment.m_mempoolInfo) largest = std::max<std::size_t>(largest, pool.m_chunkSize);
  return largest;
}

/// The user segment this process loans from. Entry 0 is RouDi's own (introspection) memory.
const MemPoolIntrospectionInfo* user_segment(const MemPoolIntrospectionInfoContainer& segments) {
  const std::string group = own_group();
  const MemPoolIntrospectionInfo* largest = nullptr;
  for (const auto& segment : segments) {
    if (segment.m_id == 0) continue;
    if (!group.empty() && segment.m_writerGroupName.c_str() == group) return &segment;
    if (!largest || largest_chunk(segment) > largest_chunk(*largest)) largest = &segment;
  }
  return largest;
}

/// A mempool's chunk payload size is its `size` in RouDi's config: the table is built
/// the way the config file is read, so both sources give the same payload limits.
MempoolTable table_of(const MemPoolIntrospectionInfo& segment) {
  std::string config;
  for (const auto& pool : segment.m_mempoolInfo) {
    config += fmt::format("size = {}\ncount = {}\n", pool.m_chunkPayloadSize, pool.m_numChunks);
  }
  return MempoolTable::parse(config);
}

}  // namespace

std::optional<MempoolTable> read_mempools_from_introspection(std::chrono::milliseconds timeout) {
  iox::popo::SubscriberOptions options;
  options.queueCapacity = 1;
  options.historyRequest = 1;  // RouDi keeps its last sample: no wait if someone asked before
  std::optional<iox::popo::Subscriber<MemPoolIntrospectionInfoContainer>> port;
  {
    RoudiRequest request("the introspection port");
    port.emplace(iox::roudi::IntrospectionMempoolService, options);
  }
  auto& subscriber = *port;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<MempoolTable> table;
  while (!table) {
    auto sample = subscriber.take();
    if (!sample.has_error()) {
      if (const MemPoolIntrospectionInfo* segment = user_segment(*sample.value())) table = table_of(*segment);
      continue;  // a sample without a user segment: wait for the next one
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  subscriber.unsubscribe();
  return table;
}

}  // namespace sgn::detail
