#pragma once
/// Registers the ready-made elements.

#include <sgn/registry.hpp>

namespace sgn::elements {

/// Adds every element of this library to `registry`: sine-source, bytes-source,
/// file-source, scale, fir, passthrough, null-sink, stats-sink, file-sink, dds-sink, dds-source.
void register_all(Registry& registry);

}  // namespace sgn::elements
