#pragma once
// The mempools of the RouDi this process is attached to, read from iceoryx's
// introspection: for a RouDi someone else started, whose config we do not have.

#include <chrono>
#include <optional>

#include "roudi/mempool_table.hpp"

namespace sgn::detail {

/// Subscribes to RouDi's mempool introspection, waits up to `timeout` for one sample
/// (RouDi publishes about every second, and only while someone subscribes), and returns
/// the pools of the user data segment this process writes to: the one of its group, else
/// the one with the largest chunks. nullopt if no sample came in time. The iceoryx
/// runtime must be up.
std::optional<MempoolTable> read_mempools_from_introspection(std::chrono::milliseconds timeout);

}  // namespace sgn::detail
