#include "roudi/runtime_dir.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sgn::detail {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

bool fd_names_same_file(int fd, int dir_fd, const char* name) noexcept {
  struct stat opened {}, named {};
  return ::fstat(fd, &opened) == 0 && ::fstatat(dir_fd, name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
         opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

std::string describe_owner(uid_t uid) {
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[1024];
  if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found) {
    return fmt::format("uid {} ({})", uid, found->pw_name);
  }
  return fmt::format("uid {}", uid);
}

namespace {

constexpr mode_t kClosedToOthers = S_IRWXG | S_IRWXO;

// XDG_RUNTIME_DIR counts only if it is a directory of ours that nobody else may write.
bool usable_xdg_runtime_dir(const char* xdg) {
  if (!xdg || xdg[0] != '/') return false;
  struct stat st {};
  return ::stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() &&
         (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

[[noreturn]] void refuse_directory(const std::string& path, const std::string& what) {
  throw Error(fmt::format("the sgn runtime directory '{}' {}; it must be a directory owned by {} with no group or "
                          "other permissions (mode 0700). Remove it (it is re-created), or set SGN_RUNTIME_DIR to "
                          "a private directory",
                          path, what, describe_owner(::geteuid())));
}

// Why `path` is not a regular file of ours, or "" if it is.
std::string file_problem(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return fmt::format("is not a regular file (mode {:o})", st.st_mode);
  if (st.st_uid != ::geteuid()) return fmt::format("is owned by {}, not by us", describe_owner(st.st_uid));
  return {};
}

}  // namespace

std::string runtime_dir_location() {
  if (const char* explicit_dir = std::getenv("SGN_RUNTIME_DIR"); explicit_dir && *explicit_dir) {
    return explicit_dir;
  }
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); usable_xdg_runtime_dir(xdg)) {
    return std::string(xdg) + (std::string_view(xdg).ends_with('/') ? "sgn" : "/sgn");
  }
  if (::geteuid() == 0) return "/run/sgn";
  return fmt::format("/tmp/sgn-{}", ::geteuid());
}

RuntimeDir RuntimeDir::open_default() { return open(runtime_dir_location()); }

RuntimeDir RuntimeDir::open(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    throw Error(fmt::format("the sgn runtime directory '{}' is not an absolute path (check SGN_RUNTIME_DIR)", path));
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    throw Error(fmt::format("cannot create the sgn runtime directory: {}; set SGN_RUNTIME_DIR to a directory "
                            "you may create",
                            posix_error("mkdir", path, errno).what()));
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    const int error = errno;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      refuse_directory(path, fmt::format("is a symbolic link owned by {}", describe_owner(st.st_uid)));
    }
    if (error == ENOTDIR) refuse_directory(path, "is not a directory");
    throw posix_error("open", path, error);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw posix_error("fstat", path, errno);
  if (st.st_uid != ::geteuid()) {
    refuse_directory(path, fmt::format("is owned by {} (mode {:04o})", describe_owner(st.st_uid), st.st_mode & 07777));
  }
  if ((st.st_mode & kClosedToOthers) != 0) {
    refuse_directory(path, fmt::format("has mode {:04o}, open to group or others", st.st_mode & 07777));
  }
  return RuntimeDir(path, std::move(fd));
}

std::string RuntimeDir::path_of(std::string_view name) const { return fmt::format("{}/{}", path_, name); }

UniqueFd RuntimeDir::open_checked(std::string_view name, int flags, mode_t mode, bool allow_missing) const {
  UniqueFd fd(::openat(fd_.get(), std::string(name).c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd && errno == ENOENT && allow_missing) return {};
  if (!fd && errno == ELOOP) throw Error(fmt::format("'{}' is a symbolic link; refusing to follow it", path_of(name)));
  if (!fd) throw posix_error("openat", path_of(name), errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw posix_error("fstat", path_of(name), errno);
  if (const std::string problem = file_problem(st); !problem.empty()) {
    throw Error(fmt::format("'{}' {}; remove it", path_of(name), problem));
  }
  return fd;
}

UniqueFd RuntimeDir::open_if_exists(std::string_view name, int flags) const {
  return open_checked(name, flags, 0600, (flags & O_CREAT) == 0);
}

UniqueFd RuntimeDir::open_file(std::string_view name, int flags, mode_t mode) const {
  return open_checked(name, flags, mode, false);
}

UniqueFd RuntimeDir::create_file(std::string_view name, int flags, mode_t mode) const {
  return open_file(name, flags | O_CREAT | O_EXCL, mode);
}

void RuntimeDir::write_atomically(std::string_view name, std::string_view text) const {
  static std::atomic<unsigned> counter{0};
  const std::string temporary = fmt::format(".{}.{}-{}.new", name, ::getpid(), counter.fetch_add(1));
  UniqueFd fd = create_file(temporary, O_WRONLY);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      ::unlinkat(fd_.get(), temporary.c_str(), 0);
      throw posix_error("write", path_of(temporary), error);
    }
    written += static_cast<std::size_t>(n);
  }
  fd.reset();
  if (::renameat(fd_.get(), temporary.c_str(), fd_.get(), std::string(name).c_str()) != 0) {
    const int error = errno;
    ::unlinkat(fd_.get(), temporary.c_str(), 0);
    throw posix_error("renameat", path_of(name), error);
  }
}

std::optional<std::string> RuntimeDir::read_small_file(std::string_view name, std::size_t limit) const {
  UniqueFd fd = open_if_exists(name, O_RDONLY);
  if (!fd) return std::nullopt;
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw posix_error("read", path_of(name), errno);
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > limit) throw Error(fmt::format("'{}' is larger than {} bytes", path_of(name), limit));
  }
}

bool RuntimeDir::remove(std::string_view name) const {
  if (::unlinkat(fd_.get(), std::string(name).c_str(), 0) == 0) return true;
  if (errno == ENOENT) return false;
  throw posix_error("unlinkat", path_of(name), errno);
}

bool RuntimeDir::names_same_file(std::string_view name, int fd) const noexcept {
  char text[256];
  if (name.size() >= sizeof text) return false;
  name.copy(text, name.size());
  text[name.size()] = '\0';
  return fd_names_same_file(fd, fd_.get(), text);
}

}  // namespace sgn::detail
