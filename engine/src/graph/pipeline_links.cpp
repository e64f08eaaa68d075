// Pipeline::links(): the graph's links by name, for the launcher's DOT output and tools.

#include "graph/pipeline_graph.hpp"

namespace sgn {

std::vector<PadLink> Pipeline::links() const {
  std::vector<PadLink> out;
  out.reserve(impl_->links.size());
  for (const auto& link : impl_->links) {
    const Element& from = impl_->element_at(link.from);
    const Element& to = impl_->element_at(link.to);
    out.push_back({from.name(), from.outputs()[link.from_pad].name, to.name(), to.inputs()[link.to_pad].name});
  }
  return out;
}

}  // namespace sgn
