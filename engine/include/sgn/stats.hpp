#pragma once
/// Counters the engine keeps while a pipeline runs.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "sgn/placement.hpp"

namespace sgn {

/// What one element did.
struct ElementStats {
  std::string name;
  std::string type_name;
  Placement placement = Placement::Main;
  long pid = 0;                      ///< process it ran in
  std::uint64_t frames_in = 0;       ///< data frames received (not EOS/gap)
  std::uint64_t frames_out = 0;      ///< data frames published
  std::uint64_t bytes_in = 0;        ///< payload bytes received
  std::uint64_t bytes_out = 0;       ///< payload bytes published
  std::uint64_t gaps = 0;            ///< gap frames seen or sent
  std::uint64_t copies = 0;          ///< payload copies the engine made on the way in
  std::uint64_t discarded = 0;       ///< frames dropped because of a stop request
  double latency_p50_us = 0;         ///< source timestamp to arrival here
  double latency_p99_us = 0;
};

/// What a whole run did.
struct RunReport {
  std::vector<ElementStats> elements;  ///< in the order elements were added
  std::chrono::nanoseconds elapsed{0};
  bool stopped = false;      ///< ended by a stop request rather than EOS
  bool interrupted = false;  ///< a signal, request_shutdown() or request_stop() asked it to end
  const ElementStats* find(const std::string& name) const;
};

}  // namespace sgn
