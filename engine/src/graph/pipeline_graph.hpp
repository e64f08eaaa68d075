#pragma once
// The pipeline graph behind sgn::Pipeline, as the runtime sees it.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sgn/pipeline.hpp"

namespace sgn::detail {

struct RunControl;

struct PipelineGraph {
  struct Entry {
    std::string name;
    std::string type_name;
    PropertyMap properties;  // as given; the element holds the parsed values
    Placement placement;
    std::unique_ptr<Element> element;  // null while a run holds it
    std::optional<std::chrono::microseconds> spin;  // its spin_us; else PipelineOptions::spin
  };
  struct Link {
    std::size_t from, from_pad, to, to_pad;
  };

  PipelineOptions options;
  std::vector<Entry> entries;
  std::vector<Link> links;
  std::vector<std::pair<std::string, std::vector<std::byte>>> shared;  // Pipeline::share
  std::atomic<detail::RunControl*> active{nullptr};
  /// request_shutdown()/request_stop() made while no run was active: the next run
  /// starts with them (bits of kShutdownPending, kStopPending).
  std::atomic<unsigned> pending{0};
  /// request_shutdown()/request_stop() calls in progress: a run ending waits for them
  /// before its RunControl goes (they may be notifying its wakers).
  std::atomic<int> requesters{0};
  static constexpr unsigned kShutdownPending = 1, kStopPending = 2;
  bool has_run = false;
  RunReport last_report;

  /// Makes `control` the active run's and applies the pending requests to it. A
  /// request racing with this lands in one place or both (applying twice is harmless).
  void activate(detail::RunControl& control);
  /// No run is active any more, and no request still uses the one that was.
  void deactivate() noexcept;

  Registry own_registry;  // when neither the options nor sgn::init named one
  Registry& registry() { return options.registry ? *options.registry : own_registry; }
  const Registry& registry() const { return options.registry ? *options.registry : own_registry; }
  std::size_t index_of(std::string_view name) const;  // throws ValidationError
  /// The element of entry `index`; throws Error while a worker that did not end holds it.
  const Element& element_at(std::size_t index) const;
  /// Indices of entries in an order where every producer comes before its consumers.
  std::vector<std::size_t> topological_order() const;  // throws ValidationError on a cycle
  std::string pad_name(std::size_t entry, std::size_t pad, bool output) const;
};
}  // namespace sgn::detail
