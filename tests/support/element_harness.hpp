#pragma once
// Runs one element alone, like GStreamer's GstHarness: frames pushed in through a
// feeding source, frames out collected (as shared handles) by a sink, in a private
// registry that also holds the ready-made elements.

#include <sgn/element.hpp>
#include <sgn/error.hpp>
#include <sgn/elements/register.hpp>
#include <sgn/pipeline.hpp>
#include <sgn/registry.hpp>

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace sgn::test {

/// The side of an element that has no pad (a source's input, a sink's output).
struct NoPad {
  struct Builder {};
};

/// One queued input: a fill function, or a gap when empty.
template <class T>
using Fill = std::function<void(typename T::Builder)>;

/// A source that emits the queued inputs, then EOS.
template <class T>
class Feeder final : public Source<T> {
 public:
  Feeder(const ElementArgs& args, std::deque<Fill<T>>& queue, std::size_t bytes)
      : Source<T>(args), queue_(queue), bytes_(bytes) {}
  std::size_t max_output_bytes() const override { return bytes_; }
  Flow produce(typename T::Builder out, Context&) override {
    if (queue_.empty()) return Flow::Eos;
    Fill<T> fill = std::move(queue_.front());
    queue_.pop_front();
    if (!fill) return Flow::Gap;
    fill(out);
    return Flow::Ok;
  }

 private:
  std::deque<Fill<T>>& queue_;
  std::size_t bytes_;
};

/// A sink that keeps every data and gap frame it receives.
template <class T>
class Collector final : public WorkerElement {
 public:
  Collector(const ElementArgs& args, std::vector<Frame>& frames)
      : WorkerElement(args, {{"in", schema_type<T>()}}, {}), frames_(frames) {}

 protected:
  void run(WorkerContext& ctx) override {
    InputPad in = ctx.input();
    while (std::optional<Frame> frame = in.pull()) {
      if (frame->eos()) return;
      frames_.push_back(std::move(*frame));
    }
  }

 private:
  std::vector<Frame>& frames_;
};

/// Harness<In, Out> for a transform, Harness<NoPad, Out> for a source, Harness<In> for a sink.
/// The element under test is named "element".
template <class In = NoPad, class Out = NoPad>
class Harness {
 public:
  static constexpr bool kHasInput = !std::is_same_v<In, NoPad>;
  static constexpr bool kHasOutput = !std::is_same_v<Out, NoPad>;

  explicit Harness(std::string type_name, PropertyMap properties = {},
                   std::optional<Placement> placement = Placement::Main, std::size_t max_input_bytes = 1 << 20)
      : pipeline_(PipelineOptions{.handle_signals = false, .registry = &registry_}) {
    elements::register_all(registry_);
    if constexpr (kHasInput) {
      registry_.add(ElementType{{"harness-feeder", "feeds queued frames", {}},
                                [this, max_input_bytes](const ElementArgs& args) -> std::unique_ptr<Element> {
                                  return std::make_unique<Feeder<In>>(args, inputs_, max_input_bytes);
                                }});
      pipeline_.add("harness-feeder", "feeder");
    }
    pipeline_.add(type_name, "element", properties, placement);
    if constexpr (kHasInput) pipeline_.link("feeder", "element");
    if constexpr (kHasOutput) {
      registry_.add(ElementType{{"harness-collector", "keeps what it receives", {}},
                                [this](const ElementArgs& args) -> std::unique_ptr<Element> {
                                  return std::make_unique<Collector<Out>>(args, collected_);
                                }});
      pipeline_.add("harness-collector", "collector");
      pipeline_.link("element", "collector");
    }
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  /// Queues an input frame that `fill` builds.
  Harness& push(Fill<In> fill) {
    inputs_.push_back(std::move(fill));
    return *this;
  }
  Harness& push_gap() {
    inputs_.push_back(nullptr);
    return *this;
  }
  /// Runs until EOS went through; throws what the pipeline throws.
  RunReport run() { return pipeline_.run(); }

  /// Data and gap frames that came out, in order.
  const std::vector<Frame>& output() const { return collected_; }
  /// The element under test, after the run.
  template <class E>
  const E& element() const {
    return dynamic_cast<const E&>(pipeline_.element("element"));
  }

 private:
  Registry registry_;
  std::deque<Fill<In>> inputs_;
  std::vector<Frame> collected_;
  Pipeline pipeline_;
};

}  // namespace sgn::test

namespace sgn::test {

/// The message of the PropertyError thrown when a ready-made element of `type_name` named
/// `name` is made with `properties`; "" if it was made fine.
inline std::string property_error(std::string_view type_name, const PropertyMap& properties,
                                  const std::string& name = "el") {
  Registry registry;
  elements::register_all(registry);
  try {
    registry.make(type_name, name, properties);
  } catch (const PropertyError& e) {
    return e.what();
  }
  return {};
}

}  // namespace sgn::test
