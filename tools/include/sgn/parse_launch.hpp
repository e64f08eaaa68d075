#pragma once
/// Pipelines from a one-line description, like gst-launch-1.0:
///
///     sine-source rate=16384 frames=10000 ! fir taps=64 placement=process ! stats-sink
///
/// Grammar (whitespace separates words; `!` is a word of its own even without spaces):
///
///     description := chain { chain }
///     chain       := node { "!" node }
///     node        := element | padref
///     element     := TYPE { KEY "=" VALUE }
///     padref      := NAME "." [ PAD ]
///
/// - An element is a registered type name followed by its properties. `name=N`
///   names it (default: type name + a per-type index: sine-source0, fir0, fir1, ...)
///   and `placement=main|thread|process` places it; the parser keeps both for
///   itself. Every other `KEY=VALUE` is an element property.
/// - A VALUE that holds whitespace, `!` or `#` is quoted: "..." (where \" and \\ are
///   escapes) or '...' (taken literally). Quotes may enclose part of a value.
/// - A word with a `.` (outside a value) is a pad reference to an element named
///   anywhere in the description, before or after: `t.out` is its pad "out", and a
///   bare `t.` is the element itself. `a ! b` links an output pad of a to an input
///   pad of b. Where the pad is not named, the output is the element's only output
///   pad (linked again for fan-out) or else its first unlinked one, and the input is
///   the first unlinked input pad.
/// - A new chain starts at a word that does not follow `!`; it typically begins
///   with a pad reference, for fan-out or for elements with several pads:
///
///       sine-source name=s ! fir ! stats-sink   s. ! scale ! stats-sink
///
/// - `#` at the start of a word begins a comment that runs to the end of the line
///   (for descriptions read from files).
///
/// Element type names therefore never contain `.`, `=`, `!` or whitespace.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sgn/error.hpp"
#include "sgn/pipeline.hpp"

namespace sgn {

/// A pipeline description given to sgn::parse_launch is malformed or names
/// something that does not exist. what() is "at column C: reason" ("at line L,
/// column C" for a description of several lines), then the offending line with a
/// caret under the offending token.
class ParseError : public Error {
 public:
  /// `position` and `length` are byte offsets into `description`.
  ParseError(std::string reason, std::string_view description, std::size_t position, std::size_t length = 1);
  /// The reason alone, without the line and caret.
  const std::string& reason() const noexcept { return reason_; }
  /// Byte offset of the offending token in the description.
  std::size_t position() const noexcept { return position_; }
  std::size_t length() const noexcept { return length_; }
  /// 1-based line and column (in bytes) of position().
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }

 private:
  std::string reason_;
  std::size_t position_, length_, line_, column_;
};

/// Builds the pipeline a description names, with elements from options.registry
/// (when null: the registry given to sgn::init, else none: see PipelineOptions). Throws ParseError, whose message points at the
/// offending token, for bad syntax, an unknown type, name, pad or property, a bad
/// value or placement, or a link between pads of different schema types. The
/// result is not validated: Pipeline::validate() or run() still checks the graph
/// (an unlinked pad, a missing sink, ...). An element whose constructor throws
/// (anything but a PropertyError) is an ElementError naming it, not a ParseError.
/// With `force_placement`, every element gets that placement whatever the
/// description says (an element that cannot run there gets its own first one that
/// is not `process`).
Pipeline parse_launch(std::string_view description, PipelineOptions options = {},
                      std::optional<Placement> force_placement = std::nullopt);

/// Joins command-line words into one description, like gst-launch does with its
/// argv: a `key=value` word whose value holds whitespace or `!` gets the value
/// quoted, so `name="a b"` as the shell passed it keeps its meaning.
std::string join_launch_args(const std::vector<std::string>& words);

}  // namespace sgn
