#pragma once
// Not for element authors: the engine's side of the element templates in
// sgn/element.hpp (Source, Transform, Sink), which must see it to compile. Its
// names may change in any release.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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

/// What a producer writes into the lists and blobs it allocates: how much of reused
/// frame memory must be zeroed (FrameWriter::skip_zeroing, leave_lists_zero).
enum class OutputFill {
  Any,         ///< unknown: every byte an earlier frame dirtied is zeroed
  Overwrites,  ///< all of them: only the structure is zeroed
  Untouched,   ///< none (they stay zero): the frame leaves only its structure dirty
};
OutputFill output_fill(bool overwrites, bool lists_untouched) noexcept;

using BuildFn = std::function<Flow(FrameWriter& out, Context& ctx)>;
using ConsumeFn = std::function<Flow(const Frame& in, Context& ctx)>;
/// The output of one transform call: a frame loaned once its size is known, or the
/// input frame itself (forwarded, or modified in place), published without a copy.
class OutputLoan {
 public:
  explicit OutputLoan(Node& node) noexcept;
  ~OutputLoan();
  OutputLoan(const OutputLoan&) = delete;
  OutputLoan& operator=(const OutputLoan&) = delete;
  FrameWriter& loan(std::size_t bytes, OutputFill fill = OutputFill::Any);
  FrameWriter& writer() noexcept { return writer_; }
  /// Publishes `in` itself: no copy, its header (sequence, timestamp) unchanged.
  void forward(const Frame& in);
  /// The message of `in`, writable in place, if nothing else reads it (in this process
  /// or another) and it was built in place; then `in` is forwarded. Else nullptr: the
  /// caller copies it into loan() and counts the copy (count_copy()).
  capnp::MessageBuilder* modify_in_place(const Frame& in);
  void count_copy() noexcept;
  /// The frame forward() or modify_in_place() chose, if any.
  Frame& forwarded() noexcept { return forwarded_; }

 private:
  Node& node_;
  FrameWriter writer_;
  Frame forwarded_;
  std::unique_ptr<capnp::MessageBuilder> in_place_;
};
using TransformFn = std::function<Flow(const Frame& in, OutputLoan& out, Context& ctx)>;
StepResult step_source(Node& node, std::size_t output_bytes, OutputFill fill, std::int64_t due_ns,
                       const BuildFn& build);
StepResult step_transform(Node& node, const TransformFn& transform);
StepResult step_sink(Node& node, const ConsumeFn& consume);
/// "element:pad" of input `index`, for messages about the frames read there.
const std::string& input_what(const Node& node, std::size_t index) noexcept;
}  // namespace detail

}  // namespace sgn
