#include "process/control_block.hpp"

#include <fmt/format.h>

#include <new>

#include "sgn/error.hpp"

namespace sgn::detail {
namespace {
constexpr std::size_t kHeaderBytes = 64;
}

// [header | a waker per node | counters per link | counters per node | forward slots per link]
std::size_t ControlBlock::bytes_for(std::uint32_t nodes, std::uint32_t links) {
  return kHeaderBytes + nodes * sizeof(SharedWaker) + links * sizeof(LinkCounters) + nodes * sizeof(NodeCounters) +
         links * sizeof(ForwardSlots);
}

ControlBlock ControlBlock::create(const std::string& name, std::uint32_t nodes, std::uint32_t links) {
  ControlBlock block;
  block.segment_ = ShmSegment::create(name, bytes_for(nodes, links));
  auto* base = static_cast<std::byte*>(block.segment_.data());
  for (std::uint32_t i = 0; i < nodes; ++i) new (base + kHeaderBytes + i * sizeof(SharedWaker)) SharedWaker();
  for (std::uint32_t i = 0; i < links; ++i) {
    new (base + kHeaderBytes + nodes * sizeof(SharedWaker) + i * sizeof(LinkCounters)) LinkCounters();
  }
  for (std::uint32_t i = 0; i < nodes; ++i) {
    new (base + kHeaderBytes + nodes * sizeof(SharedWaker) + links * sizeof(LinkCounters) + i * sizeof(NodeCounters))
        NodeCounters();
  }
  const std::size_t slots = kHeaderBytes + nodes * sizeof(SharedWaker) + links * sizeof(LinkCounters) +
                            nodes * sizeof(NodeCounters);
  for (std::uint32_t i = 0; i < links; ++i) new (base + slots + i * sizeof(ForwardSlots)) ForwardSlots();
  Header* header = new (base) Header{kMagic, nodes, links, {}};
  header->poisoned.store(0);
  return block;
}

ControlBlock ControlBlock::open(const std::string& name) {
  ControlBlock block;
  block.segment_ = ShmSegment::open(name, true);
  if (block.segment_.size() < kHeaderBytes || block.header()->magic != kMagic ||
      block.segment_.size() < bytes_for(block.header()->nodes, block.header()->links)) {
    throw Error(fmt::format("shared-memory segment '{}' is not an sgn control block", name));
  }
  return block;
}

SharedWaker& ControlBlock::slot(std::uint32_t node) const {
  return *std::launder(reinterpret_cast<SharedWaker*>(base() + kHeaderBytes + node * sizeof(SharedWaker)));
}

Waker& ControlBlock::waker(std::uint32_t node) const { return slot(node).waker; }

std::atomic<std::uint32_t>& ControlBlock::commands(std::uint32_t node) const { return slot(node).commands; }

LinkCounters& ControlBlock::link(std::uint32_t index) const {
  const std::size_t offset = kHeaderBytes + nodes() * sizeof(SharedWaker) + index * sizeof(LinkCounters);
  return *std::launder(reinterpret_cast<LinkCounters*>(base() + offset));
}

NodeCounters& ControlBlock::counters(std::uint32_t node) const {
  const std::size_t offset =
      kHeaderBytes + nodes() * sizeof(SharedWaker) + links() * sizeof(LinkCounters) + node * sizeof(NodeCounters);
  return *std::launder(reinterpret_cast<NodeCounters*>(base() + offset));
}

std::atomic<std::uint32_t>& ControlBlock::forward_slot(std::uint32_t link, std::uint32_t slot) const {
  const std::size_t offset = kHeaderBytes + nodes() * sizeof(SharedWaker) + links() * sizeof(LinkCounters) +
                             nodes() * sizeof(NodeCounters) + link * sizeof(ForwardSlots);
  return std::launder(reinterpret_cast<ForwardSlots*>(base() + offset))->readers[slot];
}

}  // namespace sgn::detail
