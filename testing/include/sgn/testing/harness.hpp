#pragma once
/// sgn::testing::Harness: one element alone, fed and drained by the test, like GStreamer's
/// GstHarness. The element runs in a real pipeline (in main, a worker thread or a worker
/// process) between an injecting source per input pad and a capturing sink per output pad,
/// both in worker threads of the test process; the pipeline runs in the background from
/// the harness's construction until finish(), stop() or the harness's end.
///
///   sgn::testing::Harness h(registry, "scale", {{"gain", "2"}}, sgn::Placement::Process);
///   h.push<Samples>([](Samples::Builder out) { ...; });
///   h.push_gap();
///   auto frame = h.pull<Samples>();       // waits at most HarnessOptions::timeout
///   EXPECT_EQ(frame->getData()[0], 2.0f);
///   EXPECT_TRUE(h.pull<Samples>().gap());
///   h.push_eos();
///   h.pull_eos();
///   sgn::RunReport report = h.finish();   // throws the element's ElementError, if it failed
///
/// Every wait is bounded. An element that throws surfaces as the engine's ElementError
/// (WorkerError in a worker), naming the element, from the next pull that finds nothing
/// left and from finish(). Placement::Process needs sgn::init(argc, argv, registry) in
/// main() with the element's type in that registry, as any process-mode program does; one
/// process-placement harness runs at a time in a process (a second is refused, named).

#include <capnp/message.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sgn/element.hpp"
#include "sgn/error.hpp"
#include "sgn/frame.hpp"
#include "sgn/placement.hpp"
#include "sgn/properties.hpp"
#include "sgn/registry.hpp"
#include "sgn/schema_type.hpp"
#include "sgn/stats.hpp"

namespace sgn::testing {

/// A harness call could not be served: a pull timed out or met EOS instead of a frame,
/// a push went to a pad that already got EOS, the run did not end in time. The element's
/// own failures are not HarnessErrors: they are the engine's ElementError.
class HarnessError : public Error {
 public:
  using Error::Error;
};

struct HarnessOptions {
  /// Name of the element under test ("" : its type name). Errors and the report use it.
  std::string name;
  /// Longest wait of pull(), pull_eos(), pull_all() and finish() when given no timeout:
  /// generous, since the first frame in process placement waits for RouDi and the worker.
  std::chrono::milliseconds timeout{30000};
  /// Output frames the harness keeps per output pad before it stops taking more (the
  /// element then waits for room, as downstream of a slow sink). finish() lifts it.
  std::size_t max_held_frames = 1000;
  /// PipelineOptions::queue_maxsize and join_timeout of the pipeline around the element.
  std::size_t queue_maxsize = 100;
  std::chrono::milliseconds join_timeout{10000};
};

namespace detail {
/// A frame an output pad published, copied out of the engine's storage (so it outlives the
/// run and holds no shared-memory chunk): its header and payload segment.
struct CapturedFrame {
  FrameHeader header;
  std::vector<capnp::word> payload;
};
}  // namespace detail

/// A frame the element under test published on an output pad: its header and its payload
/// read as T. It owns a copy of the frame and stays valid after the harness is gone.
template <class T>
class Output {
 public:
  explicit Output(std::shared_ptr<const detail::CapturedFrame> frame, std::string_view what) : frame_(std::move(frame)) {
    if (!gap()) {
      view_ = std::make_unique<FrameView<T>>(frame_->header, reinterpret_cast<const std::byte*>(frame_->payload.data()),
                                             what);
    }
  }

  const FrameHeader& header() const noexcept { return frame_->header; }
  std::uint64_t sequence() const noexcept { return frame_->header.sequence; }
  std::int64_t timestamp_ns() const noexcept { return frame_->header.timestamp_ns; }
  /// A gap frame: a header without payload (get() throws FrameError).
  bool gap() const noexcept { return (frame_->header.flags & kFrameGap) != 0; }
  /// The payload segment, byte for byte (empty for a gap).
  std::span<const std::byte> payload() const noexcept {
    return {reinterpret_cast<const std::byte*>(frame_->payload.data()), frame_->header.message_bytes};
  }
  /// The payload as T. Throws FrameError for a gap frame.
  typename T::Reader get() const {
    if (!view_) throw FrameError("a gap frame carries no payload (sequence " + std::to_string(sequence()) + ")");
    return view_->get();
  }
  typename T::Reader operator*() const { return get(); }
  const typename T::Reader* operator->() const {
    get();
    return view_->operator->();
  }

 private:
  std::shared_ptr<const detail::CapturedFrame> frame_;
  std::unique_ptr<FrameView<T>> view_;
};

/// Runs one element between frames the test pushes and frames it pulls. Movable, not copyable.
class Harness {
 public:
  using Millis = std::chrono::milliseconds;

  /// The element of `type_name` from `registry`, with `properties`, in `placement` (default:
  /// main, or the element's first placement when it cannot run in main). The registry's
  /// types are copied: it need not outlive the harness. Throws what Pipeline::add/link/
  /// validate throw (unknown type, bad property, placement the element cannot run in).
  Harness(const Registry& registry, std::string_view type_name, const PropertyMap& properties = {},
          std::optional<Placement> placement = std::nullopt, HarnessOptions options = {});
  /// The element class E (registered in the harness's own registry). For Placement::Process,
  /// E must also be in the registry the program gave sgn::init.
  template <class E>
  static Harness of(const PropertyMap& properties = {}, std::optional<Placement> placement = std::nullopt,
                    HarnessOptions options = {}) {
    Registry registry;
    registry.add<E>();
    return Harness(registry, E::describe().type_name, properties, placement, std::move(options));
  }

  Harness(Harness&&) noexcept;
  Harness& operator=(Harness&&) noexcept;
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;
  /// Stops the run if it still goes and waits for it (bounded by the join timeout); never throws.
  ~Harness();

  /// Queues a frame of T on input pad `pad` ("" : the only one) that `fill` builds now, in
  /// this thread. The engine numbers it when it is sent, and stamps it then unless
  /// `timestamp_ns` (CLOCK_MONOTONIC, as monotonic_ns()) is given.
  /// Throws TypeMismatchError when the pad carries another type, HarnessError after push_eos().
  template <class T, class Fill>
    requires std::is_invocable_v<Fill, typename T::Builder>
  Harness& push(Fill&& fill, std::string_view pad = {}, std::int64_t timestamp_ns = 0) {
    const std::size_t index = input_index(pad, &schema_type<T>());
    capnp::MallocMessageBuilder message;
    std::forward<Fill>(fill)(message.initRoot<T>());
    queue_message(index, schema_type<T>().id, flatten(message.getRoot<T>().asReader()), timestamp_ns);
    return *this;
  }
  /// Queues a copy of `message` on input pad `pad`, as push(fill) does.
  template <class T>
  Harness& push(typename T::Reader message, std::string_view pad = {}, std::int64_t timestamp_ns = 0) {
    const std::size_t index = input_index(pad, &schema_type<T>());
    queue_message(index, schema_type<T>().id, flatten(message), timestamp_ns);
    return *this;
  }
  /// Queues a gap frame (header only) on input pad `pad`; timestamp 0: the time it is sent.
  Harness& push_gap(std::string_view pad = {}, std::int64_t timestamp_ns = 0);
  /// Queues EOS on every input pad that has not had it.
  Harness& push_eos();
  /// Queues EOS on input pad `pad`: nothing more can be pushed there.
  Harness& push_eos(std::string_view pad);

  /// The next frame (data or gap) of T on output pad `pad` ("" : the only one), waiting at
  /// most `timeout`. Throws HarnessError if none came in time or the pad reached EOS (the
  /// EOS stays for pull_eos()); once the run failed and nothing is left, the run's error
  /// (ElementError naming the element). TypeMismatchError if the pad carries another type.
  template <class T>
  Output<T> pull(Millis timeout, std::string_view pad = {}) {
    const std::size_t index = output_index(pad, &schema_type<T>());
    return Output<T>(take_frame(index, timeout), what(index));
  }
  template <class T>
  Output<T> pull(std::string_view pad = {}) {
    return pull<T>(options_timeout(), pad);
  }
  /// As pull(), but an empty optional when no frame came within `timeout` or the pad is at EOS.
  template <class T>
  std::optional<Output<T>> try_pull(Millis timeout, std::string_view pad = {}) {
    const std::size_t index = output_index(pad, &schema_type<T>());
    auto frame = try_take_frame(index, timeout);
    if (!frame) return std::nullopt;
    return Output<T>(std::move(frame), what(index));
  }
  /// Every frame up to EOS on `pad`, and the EOS; each wait bounded by `timeout`.
  template <class T>
  std::vector<Output<T>> pull_all(Millis timeout, std::string_view pad = {}) {
    const std::size_t index = output_index(pad, &schema_type<T>());
    std::vector<Output<T>> frames;
    while (auto frame = take_frame_or_eos(index, timeout)) frames.emplace_back(std::move(frame), what(index));
    return frames;
  }
  template <class T>
  std::vector<Output<T>> pull_all(std::string_view pad = {}) {
    return pull_all<T>(options_timeout(), pad);
  }
  /// Waits for EOS on output pad `pad`. Throws HarnessError if a frame came first (naming
  /// its sequence number) or nothing came within `timeout`; the run's error as pull() does.
  void pull_eos(Millis timeout, std::string_view pad = {});
  void pull_eos(std::string_view pad = {});
  /// Frames waiting on output pad `pad` (EOS included), without waiting.
  std::size_t pending(std::string_view pad = {}) const;

  /// Sends EOS on every input that has not had it, lets the element drain and waits (at most
  /// `timeout`) for the run to end. Returns its report; throws the run's error (ElementError
  /// naming the element) or HarnessError if it did not end in time (it is then stopped).
  /// Frames not pulled yet can still be pulled afterwards. A second call returns the same.
  RunReport finish(Millis timeout);
  RunReport finish();
  /// Stops the run without draining (a source that never ends) and waits for it; returns
  /// its report, throws what finish() throws.
  RunReport stop();
  /// True once the run ended (EOS through every output, a failure, or a stop).
  bool ended() const;
  /// The run's error (ElementError naming the element) once it ended with one, else null.
  std::exception_ptr error() const;

  /// The name of the element under test.
  const std::string& name() const noexcept;
  /// Its input and output pads.
  const std::vector<PadSpec>& inputs() const noexcept;
  const std::vector<PadSpec>& outputs() const noexcept;
  Placement placement() const noexcept;
  /// The run's report, after finish() or stop() (HarnessError before).
  const RunReport& report() const;
  /// The element's line of the report (frames and bytes in and out, gaps, copies, latency).
  const ElementStats& stats() const;
  /// The element object that ran, after finish() or stop(), to read what it kept (a sink's
  /// counts). Not for Placement::Process: that object lived in the worker (use stats()).
  template <class E>
  const E& element() const {
    const E* e = dynamic_cast<const E*>(&ran_element());
    if (!e) throw HarnessError("element '" + name() + "' is not of the type asked for");
    return *e;
  }

 /// The harness's shared state (internal: testing/src/harness.cpp).
  struct State;

 private:
  template <class Reader>
  static std::vector<capnp::word> flatten(Reader reader) {
    std::vector<capnp::word> words(reader.totalSize().wordCount + 1);  // zeroed: capnp builds on zeroes
    capnp::copyToUnchecked(reader, kj::arrayPtr(words.data(), words.size()));
    return words;
  }
  std::size_t input_index(std::string_view pad, const SchemaType* type) const;
  std::size_t output_index(std::string_view pad, const SchemaType* type) const;
  std::string what(std::size_t output) const;
  Millis options_timeout() const noexcept;
  void queue_message(std::size_t input, std::uint64_t schema_id, std::vector<capnp::word> words,
                     std::int64_t timestamp_ns);
  std::shared_ptr<const detail::CapturedFrame> take_frame(std::size_t output, Millis timeout);
  std::shared_ptr<const detail::CapturedFrame> try_take_frame(std::size_t output, Millis timeout);
  std::shared_ptr<const detail::CapturedFrame> take_frame_or_eos(std::size_t output, Millis timeout);
  const Element& ran_element() const;

  std::shared_ptr<State> state_;
};

}  // namespace sgn::testing
