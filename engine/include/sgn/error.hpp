#pragma once
/// Exceptions the engine throws. Every message names the element and pad involved.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sgn/placement.hpp"

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

/// Where in a run an element error happened: the fields a program reads instead of
/// parsing the message (sgn-launch's error line and JSON use them).
struct ErrorSite {
  std::string element;
  std::optional<Placement> placement;     ///< unknown for an error before the run placed it
  long pid = 0;                           ///< the process running the element; 0 if unknown
  std::string pad;                        ///< the pad being served, "" if none
  std::optional<std::uint64_t> sequence;  ///< the sequence number of the frame being served
};

/// An element failed while the pipeline ran. The original exception is nested.
class ElementError : public Error {
 public:
  ElementError(std::string element, const std::string& message) : Error(message) { site_.element = std::move(element); }
  ElementError(ErrorSite site, const std::string& message) : Error(message), site_(std::move(site)) {}
  const std::string& element() const noexcept { return site_.element; }
  const ErrorSite& site() const noexcept { return site_; }

 private:
  ErrorSite site_;
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

/// Workers did not end within the join timeout (were killed, still run, or did not
/// drain). element() and site() are the first of them.
class JoinTimeoutError : public ElementError {
 public:
  JoinTimeoutError(std::vector<ErrorSite> sites, const std::string& message)
      : ElementError(sites.empty() ? ErrorSite{} : sites.front(), message), sites_(std::move(sites)) {}
  /// Every element that did not end in time, with its placement and pid.
  const std::vector<ErrorSite>& sites() const noexcept { return sites_; }

 private:
  std::vector<ErrorSite> sites_;
};

/// A POSIX call failed: the call and its errno are kept.
class SystemError : public Error {
 public:
  SystemError(std::string call, int error_number, const std::string& message)
      : Error(message), call_(std::move(call)), errno_(error_number) {}
  /// The call that failed ("open", "flock", ...).
  const std::string& call() const noexcept { return call_; }
  int error_number() const noexcept { return errno_; }

 private:
  std::string call_;
  int errno_;
};

/// The C++ type of `error`, demangled ("std::out_of_range").
std::string exception_type_name(const std::exception& error);

/// Renders an exception and every exception nested in it, one per line.
std::string describe_exception(const std::exception& error);

}  // namespace sgn
