#pragma once
/// Exceptions the engine throws. Every message names the element and pad involved.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace sgn {

/// Base of every engine error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The pipeline graph is invalid (unlinked pad, cycle, duplicate name, ...).
class ValidationError : public Error {
 public:
  using Error::Error;
};

/// Two linked pads carry different schema types, or a frame is not of the type read.
class TypeMismatchError : public Error {
 public:
  using Error::Error;
};

/// A property is unknown, of the wrong type, or out of range.
class PropertyError : public Error {
 public:
  using Error::Error;
};

/// A frame is misused: read as payload while it is EOS or gap, or its message
/// outgrew the frame it was built in.
class FrameError : public Error {
 public:
  using Error::Error;
};

/// An element failed while the pipeline ran. The original exception is nested.
class ElementError : public Error {
 public:
  ElementError(std::string element, const std::string& message)
      : Error(message), element_(std::move(element)) {}
  const std::string& element() const noexcept { return element_; }

 private:
  std::string element_;
};

/// A worker (thread or process) ended before EOS; its error is nested.
class WorkerError : public ElementError {
 public:
  using ElementError::ElementError;
};

/// An error raised in a worker process, carried back as data and rebuilt here
/// (nested under the WorkerError that run() throws).
class RemoteError : public Error {
 public:
  RemoteError(std::string element, std::string kind, std::string type, const std::string& message)
      : Error(message), element_(std::move(element)), kind_(std::move(kind)), type_(std::move(type)) {}
  const std::string& element() const noexcept { return element_; }
  /// exception, badInput, frameOverflow, transport or internal.
  const std::string& kind() const noexcept { return kind_; }
  /// The C++ type of the exception in the worker.
  const std::string& type() const noexcept { return type_; }

 private:
  std::string element_, kind_, type_;
};

/// A worker did not end within the join timeout.
class JoinTimeoutError : public ElementError {
 public:
  using ElementError::ElementError;
};

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

/// The C++ type of `error`, demangled ("std::out_of_range").
std::string exception_type_name(const std::exception& error);

/// Renders an exception and every exception nested in it, one per line.
std::string describe_exception(const std::exception& error);

}  // namespace sgn
