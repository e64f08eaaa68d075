#include "sgn/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <queue>
#include <ranges>
#include <thread>

#include "graph/node.hpp"
#include "graph/pipeline_graph.hpp"
#include "graph/program_registry.hpp"
#include "sgn/error.hpp"

namespace sgn {

const ElementStats* RunReport::find(const std::string& name) const {
  for (const auto& e : elements) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::size_t detail::PipelineGraph::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].name == name) return i;
  }
  throw ValidationError(fmt::format("no element named '{}' in the pipeline", name));
}

const Element& detail::PipelineGraph::element_at(std::size_t index) const {
  const Entry& entry = entries[index];
  if (!entry.element) {
    throw Error(fmt::format("element '{}' is held by a run (still running, or stuck in a worker that did not end)", entry.name));
  }
  return *entry.element;
}

std::string detail::PipelineGraph::pad_name(std::size_t entry, std::size_t pad, bool output) const {
  const Element& e = element_at(entry);
  return fmt::format("{}:{}", e.name(), output ? e.outputs()[pad].name : e.inputs()[pad].name);
}

std::vector<std::size_t> detail::PipelineGraph::topological_order() const {
  std::vector<std::size_t> incoming(entries.size(), 0);
  for (const auto& link : links) ++incoming[link.to];
  std::queue<std::size_t> ready;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (incoming[i] == 0) ready.push(i);
  }
  std::vector<std::size_t> order;
  while (!ready.empty()) {
    const std::size_t i = ready.front();
    ready.pop();
    order.push_back(i);
    for (const auto& link : links) {
      if (link.from == i && --incoming[link.to] == 0) ready.push(link.to);
    }
  }
  if (order.size() != entries.size()) {
    std::vector<std::string> cycle;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (incoming[i] != 0) cycle.push_back(entries[i].name);
    }
    throw ValidationError(fmt::format("the pipeline has a cycle through: {}", fmt::join(cycle, ", ")));
  }
  return order;
}

std::chrono::microseconds parse_spin(std::string_view element, std::string_view type_name, std::string_view text) {
  static const std::vector<PropertySpec> spec{property<std::int64_t>(
      std::string(kSpinProperty), 0, "low-latency spin before sleeping (us)", 0, kSpinLimit.count())};
  const Properties parsed =
      Properties::parse(element, type_name, spec, {{std::string(kSpinProperty), std::string(text)}});
  return std::chrono::microseconds(parsed.get<std::int64_t>(kSpinProperty));
}

Pipeline::Pipeline(PipelineOptions options) : impl_(std::make_unique<detail::PipelineGraph>()) {
  if (!options.registry) options.registry = detail::program_registry();
  impl_->options = options;
}
Pipeline::~Pipeline() = default;
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;

const PipelineOptions& Pipeline::options() const noexcept { return impl_->options; }
Registry& Pipeline::registry() const noexcept { return impl_->registry(); }

Pipeline& Pipeline::add(std::string_view type_name, std::string name, const PropertyMap& properties,
                        std::optional<Placement> placement) {
  if (name.empty()) throw ValidationError(fmt::format("an element of type '{}' needs a name", type_name));
  for (const auto& e : impl_->entries) {
    if (e.name == name) {
      throw ValidationError(fmt::format("duplicate element name '{}' (types '{}' and '{}')", name, e.type_name,
                                        type_name));
    }
  }
  // spin_us is the engine's: the element never sees it.
  PropertyMap own = properties;
  std::optional<std::chrono::microseconds> spin;
  if (const auto given = own.find(kSpinProperty); given != own.end()) {
    spin = parse_spin(name, type_name, given->second);
    own.erase(given);
  }
  std::unique_ptr<Element> element;
  try {
    element = registry().make(type_name, name, own);
  } catch (const ElementError& e) {
    // The constructor failed: say where the element was to run (what it threw stays nested).
    ErrorSite site = e.site();
    site.placement = placement.value_or(impl_->options.default_placement);
    try {
      std::rethrow_if_nested(e);
    } catch (...) {
      std::throw_with_nested(ElementError(site, e.what()));
    }
    throw ElementError(site, e.what());
  }
  detail::PipelineGraph::Entry entry{name, std::string(type_name), std::move(own),
                    placement.value_or(impl_->options.default_placement), std::move(element), spin};
  const auto allowed = entry.element->placements();
  if (!placement && std::find(allowed.begin(), allowed.end(), entry.placement) == allowed.end()) {
    entry.placement = allowed.front();  // the pipeline default does not fit: take the element's own
  }
  impl_->entries.push_back(std::move(entry));
  return *this;
}

namespace {
struct PadRef {
  std::string_view element;
  std::string_view pad;  // empty: the element's only pad
};
PadRef split_pad(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return {text, {}};
  return {text.substr(0, colon), text.substr(colon + 1)};
}

}  // namespace

Pipeline& Pipeline::link(std::string_view from, std::string_view to) {
  const PadRef src = split_pad(from);
  const PadRef dst = split_pad(to);
  const std::size_t from_index = impl_->index_of(src.element);
  const std::size_t to_index = impl_->index_of(dst.element);
  const Element& producer = impl_->element_at(from_index);
  const Element& consumer = impl_->element_at(to_index);
  const std::size_t from_pad = producer.output_index(src.pad);
  const std::size_t to_pad = consumer.input_index(dst.pad);
  const PadSpec& out = producer.outputs()[from_pad];
  const PadSpec& in = consumer.inputs()[to_pad];
  if (!(out.type == in.type)) {
    throw TypeMismatchError(fmt::format("cannot link {}:{} ({}) to {}:{} ({}): the schema types differ",
                                        producer.name(), out.name, out.type.name, consumer.name(), in.name,
                                        in.type.name));
  }
  for (const auto& link : impl_->links) {
    if (link.to == to_index && link.to_pad == to_pad) {
      throw ValidationError(fmt::format("input pad {}:{} is already linked from {}", consumer.name(), in.name,
                                        impl_->pad_name(link.from, link.from_pad, true)));
    }
  }
  impl_->links.push_back({from_index, from_pad, to_index, to_pad});
  return *this;
}

void Pipeline::validate() const {
  const detail::PipelineGraph& impl = *impl_;
  if (impl.entries.empty()) throw ValidationError("the pipeline has no elements");
  const PipelineOptions& options = impl.options;
  if (options.queue_maxsize < 1 || options.queue_maxsize > kQueueMaxsizeLimit) {
    throw ValidationError(fmt::format("queue_maxsize {} is out of range: a channel holds 1 to {} frames",
                                      options.queue_maxsize, kQueueMaxsizeLimit));
  }
  if (options.join_timeout < std::chrono::milliseconds(0) || options.join_timeout > kJoinTimeoutLimit) {
    throw ValidationError(fmt::format("join_timeout {} ms is out of range: 0 to {} ms ({} h)",
                                      options.join_timeout.count(), kJoinTimeoutLimit.count(),
                                      std::chrono::duration_cast<std::chrono::hours>(kJoinTimeoutLimit).count()));
  }
  if (options.spin < std::chrono::microseconds(0) || options.spin > kSpinLimit) {
    throw ValidationError(fmt::format("spin {} us is out of range: 0 to {} us", options.spin.count(), kSpinLimit.count()));
  }
  bool has_sink = false;
  for (std::size_t i = 0; i < impl.entries.size(); ++i) has_sink = has_sink || impl.element_at(i).outputs().empty();
  if (!has_sink) throw ValidationError("the pipeline has no sink (an element without output pads)");
  for (std::size_t i = 0; i < impl.entries.size(); ++i) {
    const auto& entry = impl.entries[i];
    const Element& e = impl.element_at(i);
    for (std::size_t p = 0; p < e.inputs().size(); ++p) {
      const bool linked = std::any_of(impl.links.begin(), impl.links.end(),
                                      [&](const detail::PipelineGraph::Link& l) { return l.to == i && l.to_pad == p; });
      if (!linked) {
        throw ValidationError(fmt::format("input pad {}:{} ({}) is not linked", e.name(), e.inputs()[p].name,
                                          e.inputs()[p].type.name));
      }
    }
    for (std::size_t p = 0; p < e.outputs().size(); ++p) {
      const bool linked = std::any_of(impl.links.begin(), impl.links.end(),
                                      [&](const detail::PipelineGraph::Link& l) { return l.from == i && l.from_pad == p; });
      if (!linked) {
        throw ValidationError(fmt::format("output pad {}:{} ({}) is not linked", e.name(), e.outputs()[p].name,
                                          e.outputs()[p].type.name));
      }
    }
    const auto allowed = e.placements();
    if (std::find(allowed.begin(), allowed.end(), entry.placement) == allowed.end()) {
      throw ValidationError(fmt::format("element '{}' ({}) cannot run in placement '{}' (it supports: {})",
                                        e.name(), e.type_name(), to_string(entry.placement),
                                        fmt::join(allowed | std::views::transform([](Placement p) { return to_string(p); }), ", ")));
    }
    if (entry.placement == Placement::Process && options.queue_maxsize > kProcessQueueMaxsizeLimit) {
      throw ValidationError(fmt::format(
          "element '{}' has placement 'process', but queue_maxsize {} exceeds the shared-memory queue limit of {}",
          e.name(), options.queue_maxsize, kProcessQueueMaxsizeLimit));
    }
    if (entry.placement == Placement::Process) {
      const Registry* program = detail::program_registry();
      if (!program) {
        throw ValidationError(fmt::format(
            "element '{}' has placement 'process', but this program did not call sgn::init(argc, argv, registry) "
            "at the top of main(): worker processes are the program started again",
            e.name()));
      }
      if (&impl.registry() != program && !program->contains(entry.type_name)) {
        throw ValidationError(fmt::format(
            "element '{}' has placement 'process', but its type '{}' is not in the registry given to sgn::init, "
            "which worker processes build their element from",
            e.name(), entry.type_name));
      }
    }
  }
  impl.topological_order();
}

Pipeline& Pipeline::share(std::string name, std::span<const std::byte> data) {
  if (name.empty()) throw ValidationError("shared data needs a name");
  for (const auto& [existing, bytes] : impl_->shared) {
    if (existing == name) {
      throw ValidationError(fmt::format("the pipeline already shares data named '{}' ({} bytes)", name, bytes.size()));
    }
  }
  impl_->shared.emplace_back(std::move(name), std::vector<std::byte>(data.begin(), data.end()));
  return *this;
}

namespace {
void apply_shutdown(detail::RunControl& control) noexcept {
  control.interrupted.store(true);
  control.eos_requested.store(true);
  control.notify_all();
}
void apply_stop(detail::RunControl& control) noexcept {
  control.interrupted.store(true);
  control.stop_requested.store(true);
  control.notify_all();
}
}  // namespace

void detail::PipelineGraph::activate(detail::RunControl& control) {
  active.store(&control);
  const unsigned requests = pending.exchange(0);
  if (requests & kShutdownPending) apply_shutdown(control);
  if (requests & kStopPending) apply_stop(control);
}

void detail::PipelineGraph::deactivate() noexcept {
  active.store(nullptr);
  while (requesters.load() != 0) std::this_thread::yield();  // a request is still notifying
}

namespace {
// The request is recorded first and the active run looked up after: either the run
// starting meanwhile takes the pending bit, or this sees the run (or both). Counted
// as a requester throughout, so the run's RunControl outlives its use here.
template <class Apply>
void request(detail::PipelineGraph& impl, unsigned bit, Apply apply) noexcept {
  impl.requesters.fetch_add(1);
  impl.pending.fetch_or(bit);
  if (detail::RunControl* control = impl.active.load()) {
    impl.pending.fetch_and(~bit);
    apply(*control);
  }
  impl.requesters.fetch_sub(1);
}
}  // namespace

void Pipeline::request_shutdown() noexcept { request(*impl_, detail::PipelineGraph::kShutdownPending, apply_shutdown); }

void Pipeline::request_stop() noexcept { request(*impl_, detail::PipelineGraph::kStopPending, apply_stop); }

const RunReport& Pipeline::last_report() const noexcept { return impl_->last_report; }

const Element& Pipeline::element(std::string_view name) const { return impl_->element_at(impl_->index_of(name)); }

std::vector<std::string> Pipeline::element_names() const {
  std::vector<std::string> names;
  for (const auto& e : impl_->entries) names.push_back(e.name);
  return names;
}

Placement Pipeline::placement(std::string_view name) const {
  return impl_->entries[impl_->index_of(name)].placement;
}

}  // namespace sgn
