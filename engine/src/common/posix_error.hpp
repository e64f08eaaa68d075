#pragma once
// Errors of POSIX calls, keeping the call and its errno (sgn::SystemError).

#include <string_view>

#include "sgn/error.hpp"

namespace sgn::detail {

/// "call('what'): <strerror> (errno N)", with call() and error_number() kept.
SystemError posix_error(std::string_view call, std::string_view what, int error_number);

}  // namespace sgn::detail
