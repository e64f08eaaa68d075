#include "sgn/error.hpp"

#include <cxxabi.h>
#include <fmt/format.h>

#include <cstring>
#include <memory>
#include <typeinfo>

namespace sgn {

std::string exception_type_name(const std::exception& error) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(typeid(error).name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? name.get() : typeid(error).name();
}

namespace {

void describe_into(const std::exception& error, std::string& out, int depth) {
  if (depth > 0) out += "\n" + std::string(static_cast<std::size_t>(depth) * 2, ' ') + "caused by: ";
  out += error.what();
  if (depth > 0) out += " [" + exception_type_name(error) + "]";
  try {
    std::rethrow_if_nested(error);
  } catch (const std::exception& nested) {
    describe_into(nested, out, depth + 1);
  } catch (...) {
    out += "\n" + std::string(static_cast<std::size_t>(depth + 1) * 2, ' ') + "caused by: unknown exception";
  }
}

}  // namespace

std::string describe_exception(const std::exception& error) {
  std::string out;
  describe_into(error, out, 0);
  return out;
}

}  // namespace sgn

namespace sgn::detail {

SystemError posix_error(std::string_view call, std::string_view what, int error_number) {
  return SystemError(std::string(call), error_number,
                     fmt::format("{}('{}'): {} (errno {})", call, what, std::strerror(error_number), error_number));
}

}  // namespace sgn::detail
