#pragma once
// The engine's private runtime directory: one per user, like tmux's
// /tmp/tmux-<uid>. Files that name a running RouDi or hold locks live here and
// nowhere world-writable, so nobody else can plant a link, hold a lock or
// forge a pid in them. The directory is refused unless it is ours and closed to
// everyone else; every file in it is opened relative to the directory's fd,
// never through a symbolic link, and checked to be a regular file of ours.

#include <fcntl.h>
#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/posix_error.hpp"
#include "sgn/error.hpp"

namespace sgn::detail {

/// An owned file descriptor, closed when it goes.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

/// Async-signal-safe: `fd` is open on the file `name` in `dir_fd` now names (not
/// unlinked or replaced since), and `name` is not a link.
bool fd_names_same_file(int fd, int dir_fd, const char* name) noexcept;

/// "uid N (name)", for messages about who owns a file.
std::string describe_owner(uid_t uid);

/// Where the runtime directory is: $SGN_RUNTIME_DIR if set; else $XDG_RUNTIME_DIR/sgn
/// if XDG_RUNTIME_DIR is an absolute path to a directory of ours that no one else
/// may write; else /run/sgn for root; else /tmp/sgn-<uid>.
std::string runtime_dir_location();

class RuntimeDir {
 public:
  /// The directory at runtime_dir_location(), created (0700) if missing.
  static RuntimeDir open_default();
  /// The directory at `path`, created (0700) if missing. Throws sgn::Error naming
  /// the path, its owner and mode if it is not a directory of ours closed to others.
  static RuntimeDir open(const std::string& path);

  const std::string& path() const noexcept { return path_; }
  int fd() const noexcept { return fd_.get(); }
  std::string path_of(std::string_view name) const;

  /// Opens `name` in the directory (O_NOFOLLOW|O_CLOEXEC added to `flags`) and
  /// checks it is a regular file of ours. Throws on any failure.
  UniqueFd open_file(std::string_view name, int flags, mode_t mode = 0600) const;
  /// open_file, but an empty UniqueFd if `name` does not exist (and `flags` lacks O_CREAT).
  UniqueFd open_if_exists(std::string_view name, int flags) const;
  /// Creates `name`, which must not exist yet (O_CREAT|O_EXCL).
  UniqueFd create_file(std::string_view name, int flags = O_RDWR, mode_t mode = 0600) const;
  /// Replaces `name` with `text` at once: a new temporary file, renamed over it.
  void write_atomically(std::string_view name, std::string_view text) const;
  /// The contents of `name` (at most `limit` bytes, else an error); empty optional if it does not exist.
  std::optional<std::string> read_small_file(std::string_view name, std::size_t limit = 1 << 20) const;
  /// Unlinks `name`; false if it did not exist.
  bool remove(std::string_view name) const;
  /// `fd` is open on the file that `name` now names (it was not unlinked or replaced).
  bool names_same_file(std::string_view name, int fd) const noexcept;

 private:
  RuntimeDir(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  UniqueFd open_checked(std::string_view name, int flags, mode_t mode, bool allow_missing) const;

  std::string path_;
  UniqueFd fd_;
};

}  // namespace sgn::detail
