#pragma once
/// Pipelines: add elements, link pads, validate, run until every sink saw EOS.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sgn/element.hpp"
#include "sgn/placement.hpp"
#include "sgn/properties.hpp"
#include "sgn/registry.hpp"
#include "sgn/stats.hpp"

namespace sgn {

/// Totals of what the sinks (in every placement, worker processes included) have
/// received so far in a run, and whether the run was asked to end.
struct Progress {
  std::uint64_t frames = 0;             ///< data frames
  std::uint64_t bytes = 0;              ///< payload bytes
  std::chrono::nanoseconds elapsed{0};  ///< since run() started
  bool draining = false;                ///< a Ctrl+C, SIGTERM or request_shutdown(): sources end with EOS
  bool stopping = false;                ///< a second signal or request_stop(): everything ends now
};

/// A link between an output pad and an input pad, by element and pad name.
struct PadLink {
  std::string from, from_pad, to, to_pad;
};

/// Largest PipelineOptions::queue_maxsize. A channel between main and thread placements
/// allocates its ring of frame handles (8 bytes each) up front: 65,536 of them are 512 KiB
/// per link, and a deeper queue only adds latency and frames held in memory.
inline constexpr std::size_t kQueueMaxsizeLimit = 65536;
/// Largest queue_maxsize when an element is placed in a worker process: the capacity of an
/// iceoryx subscriber queue.
inline constexpr std::size_t kProcessQueueMaxsizeLimit = 256;
/// Default PipelineOptions::queue_max_bytes: 4 frames of 16 MiB, 64 of 1 MiB.
inline constexpr std::size_t kDefaultQueueMaxBytes = std::size_t{64} << 20;
/// Longest PipelineOptions::join_timeout: a day is longer than any orderly end, and far
/// from where the timeout overflows in nanoseconds (about 292 years).
inline constexpr std::chrono::milliseconds kJoinTimeoutLimit = std::chrono::hours(24);
/// Longest low-latency spin (PipelineOptions::spin, an element's spin_us): a bounded
/// busy-poll, never a way to keep a core busy for good.
inline constexpr std::chrono::microseconds kSpinLimit{100'000};
/// The engine's property every element accepts: spin_us=N, its low-latency spin (0 to
/// kSpinLimit microseconds), given with the element's own properties.
inline constexpr std::string_view kSpinProperty = "spin_us";
/// Reads a spin_us value given to element `element` of type `type_name`; throws
/// PropertyError naming both, the value and the range when it is not an integer in range.
std::chrono::microseconds parse_spin(std::string_view element, std::string_view type_name, std::string_view text);

/// validate() refuses values outside the documented bounds, naming the option, value and bound.
struct PipelineOptions {
  /// Placement of elements added without one.
  Placement default_placement = Placement::Main;
  /// Capacity of every channel between placements (frames): 1 to kQueueMaxsizeLimit, at
  /// most kProcessQueueMaxsizeLimit when an element has placement Process.
  std::size_t queue_maxsize = 100;
  /// Bytes a channel between main and thread placements queues at most: the buffers of its
  /// frames (their capacity). A channel that is empty always takes a frame, however big.
  /// 0: bounded by queue_maxsize alone. (Links to and from worker processes are bounded by
  /// RouDi's pools.) GStreamer's queue bounds bytes likewise (10 MB by default).
  std::size_t queue_max_bytes = kDefaultQueueMaxBytes;
  /// How long a worker may take to end once asked to, before the pipeline fails:
  /// 0 to kJoinTimeoutLimit.
  std::chrono::milliseconds join_timeout{10000};
  /// Install SIGINT/SIGTERM handlers during run(): first signal drains, second stops.
  bool handle_signals = true;
  /// Where element types are looked up (and add<T>() registers). When null: the registry
  /// the program gave sgn::init, if it called init; else a registry of the pipeline's own.
  Registry* registry = nullptr;
  /// Called by run() on its own thread, at most every `progress_interval`, while the
  /// pipeline runs (for a live progress line), and within that interval of a signal
  /// or request to end (Progress::draining, stopping). Exceptions it throws are ignored.
  std::function<void(const Progress&)> progress = nullptr;
  std::chrono::milliseconds progress_interval{100};
  /// Low-latency mode for every element without a spin_us of its own: before a waiting
  /// element sleeps, it busy-waits this long for a frame (0 to kSpinLimit). A frame arriving
  /// within it is taken without a futex wake-up (~6-12 us on a KVM guest), at the cost of a core
  /// kept busy while it spins. 0 (the default): a short spin, as long as the element's recent
  /// waits say pays (at most 50 us; none for a paced stream), then sleep.
  std::chrono::microseconds spin{0};
};

namespace detail {
struct PipelineGraph;  // the elements, links and run state behind a Pipeline
}

class Pipeline {
 public:
  explicit Pipeline(PipelineOptions options = {});
  ~Pipeline();
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;

  /// Adds an element of a registered type.
  Pipeline& add(std::string_view type_name, std::string name, const PropertyMap& properties = {},
                std::optional<Placement> placement = std::nullopt);
  /// Adds an element of type T (registered in the pipeline's registry if it is not yet).
  template <class T>
  Pipeline& add(std::string name, const PropertyMap& properties = {},
                std::optional<Placement> placement = std::nullopt) {
    ElementInfo info = T::describe();
    if (!registry().contains(info.type_name)) registry().template add<T>();
    return add(info.type_name, std::move(name), properties, placement);
  }
  /// Links "element:pad" to "element:pad"; "element" alone names its only pad.
  /// Type mismatches fail here, naming both pads and types.
  Pipeline& link(std::string_view from, std::string_view to);

  /// Shares read-only data (filter coefficients, a calibration table) with every
  /// element under `name` (Element::shared_data). Worker processes map it from a
  /// shared-memory segment without a copy; the segment lives while run() runs.
  Pipeline& share(std::string name, std::span<const std::byte> data);

  /// Throws ValidationError for an unlinked pad, a cycle, a missing sink, ...
  void validate() const;
  /// Runs until every sink has seen EOS. Throws the first element error, with the
  /// element and pad named and the original exception nested.
  RunReport run();
  /// What the last run() did, also when it threw (its elements are missing only when a
  /// worker thread did not end and still holds its element).
  const RunReport& last_report() const noexcept;

  /// Asks sources to end with EOS and the pipeline to drain (thread-safe, signal-safe).
  /// Made while no run is active, it is kept: the next run() starts draining.
  void request_shutdown() noexcept;
  /// Asks every element to end now, without draining (thread-safe, signal-safe).
  /// Made while no run is active, it is kept: the next run() stops at once.
  void request_stop() noexcept;

  const PipelineOptions& options() const noexcept;
  /// Where this pipeline looks element types up (PipelineOptions::registry).
  Registry& registry() const noexcept;
  /// The element named `name` (throws ValidationError if there is none).
  const Element& element(std::string_view name) const;
  /// Element names in the order they were added.
  std::vector<std::string> element_names() const;
  Placement placement(std::string_view name) const;
  /// Every link, in the order they were made (not while run() runs).
  std::vector<PadLink> links() const;

 private:
  std::unique_ptr<detail::PipelineGraph> impl_;
};

}  // namespace sgn
