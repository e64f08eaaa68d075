#pragma once
// The histogram is public (sgn/latency_histogram.hpp); engine code names it here.

#include "sgn/latency_histogram.hpp"

namespace sgn::detail {
using LatencyHistogram = sgn::LatencyHistogram;
}  // namespace sgn::detail
