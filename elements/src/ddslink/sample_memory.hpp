#pragma once
// Memory for the serialized samples of a DDS link, recycled. Cyclone frees a sample on a
// thread other than the one that made it (dds-sink's samples on the thread that takes
// acknowledgements, dds-source's small ones on the pipeline's thread that took them), so
// malloc's per-thread caches never serve the next one and every allocation took the
// arena's lock. Here a block goes back to a lock-free return stack of its size class, which
// an allocating thread takes whole into a list of its own.

#include <cstddef>

namespace sgn::elements::dds::sample_memory {

/// `bytes` of memory aligned to 16, or null when out of memory. Any thread.
void* allocate(std::size_t bytes) noexcept;
/// Gives back a block from allocate() (or null). Any thread.
void release(void* block) noexcept;
/// Blocks waiting in the return stacks, all size classes (for tests: while no thread
/// allocates or releases).
std::size_t returned_blocks() noexcept;

}  // namespace sgn::elements::dds::sample_memory
