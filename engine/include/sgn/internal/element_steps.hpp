#pragma once
// Not for element authors: the engine's side of the element templates in
// sgn/element.hpp (Source, Transform, Sink), which must see it to compile. Its
// names may change in any release.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>

#include "sgn/frame.hpp"

namespace sgn {

enum class Flow;
class Context;

namespace detail {
class Node;
/// Named read-only data shared with the pipeline's elements (Pipeline::share).
using SharedTable = std::map<std::string, std::span<const std::byte>, std::less<>>;
enum class StepResult { Progress, WaitInput, WaitOutput, WaitTime, Done };

using BuildFn = std::function<Flow(FrameWriter& out, Context& ctx)>;
using ConsumeFn = std::function<Flow(const Frame& in, Context& ctx)>;
/// Loans the output frame of a transform once its size is known.
class OutputLoan {
 public:
  explicit OutputLoan(Node& node) noexcept : node_(node) {}
  /// `overwrites`: the element writes all of it, so reused memory needs no zeroing.
  FrameWriter& loan(std::size_t bytes, bool overwrites = false);
  FrameWriter& writer() noexcept { return writer_; }

 private:
  Node& node_;
  FrameWriter writer_;
};
using TransformFn = std::function<Flow(const Frame& in, OutputLoan& out, Context& ctx)>;
StepResult step_source(Node& node, std::size_t output_bytes, bool overwrites, std::int64_t due_ns,
                       const BuildFn& build);
StepResult step_transform(Node& node, const TransformFn& transform);
StepResult step_sink(Node& node, const ConsumeFn& consume);
/// "element:pad" of input `index`, for messages about the frames read there.
const std::string& input_what(const Node& node, std::size_t index) noexcept;
}  // namespace detail

}  // namespace sgn
