#pragma once
// Opening files for the file elements, with errors that name the element and the path.

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace sgn::elements::detail {

/// An owned file descriptor.
class File {
 public:
  File(const std::string& element, const std::string& path, int flags)
      : fd_(::open(path.c_str(), flags | O_CLOEXEC, 0644)) {
    if (fd_ < 0) {
      throw std::system_error(errno, std::generic_category(),
                              fmt::format("element '{}': cannot open '{}' (open)", element, path));
    }
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const noexcept { return fd_; }
  /// Closes now, reporting what a deferred write error close() reveals.
  void close(const std::string& element, const std::string& path) {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      throw std::system_error(errno, std::generic_category(),
                              fmt::format("element '{}': closing '{}' (close)", element, path));
    }
  }

 private:
  int fd_;
};

}  // namespace sgn::elements::detail
