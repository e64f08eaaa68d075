#include "roudi/run_record.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>

namespace sgn::detail {

namespace {

constexpr std::size_t kTokenLength = 16;
constexpr char kRecordPrefix[] = "run-";
constexpr std::size_t kRecordPrefixLength = sizeof kRecordPrefix - 1;

// ---- Async-signal-safe helpers: raw system calls, stack buffers only. ----

bool starts_with(const char* text, const char* prefix) noexcept {
  while (*prefix) {
    if (*text++ != *prefix++) return false;
  }
  return true;
}

bool is_token(const char* text) noexcept {
  std::size_t n = 0;
  for (; text[n]; ++n) {
    const char c = text[n];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return n == kTokenLength;
}

// "<head><token><tail>" into `out` (big enough: the token has a fixed length).
void make_prefix(char* out, const char* head, const char* token, char tail) noexcept {
  while (*head) *out++ = *head++;
  for (std::size_t i = 0; i < kTokenLength; ++i) *out++ = token[i];
  *out++ = tail;
  *out = '\0';
}

struct LinuxDirent64 {
  ino64_t d_ino;
  off64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

// Calls visit(name) for every entry of the directory open at `dir_fd`, from its
// start; stops early when visit returns false.
template <class Visit>
void for_each_entry(int dir_fd, Visit&& visit) noexcept {
  alignas(8) char buffer[4096];
  if (::lseek(dir_fd, 0, SEEK_SET) != 0) return;
  for (;;) {
    const long n = ::syscall(SYS_getdents64, dir_fd, buffer, sizeof buffer);
    if (n <= 0) return;
    for (long offset = 0; offset < n;) {
      const auto* entry = reinterpret_cast<const LinuxDirent64*>(buffer + offset);
      offset += entry->d_reclen;
      const char* name = entry->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      if (!visit(name)) return;
    }
  }
}

// Entries of `dir_path` starting with `prefix` that are ours and neither links
// nor directories: counted, and unlinked if `remove`. Passes are repeated while
// they remove something, as unlinking while reading a directory may skip entries.
int token_entries(const char* dir_path, const char* prefix, bool remove, ReapedEntry removed,
                  void* context) noexcept {
  const int dir_fd = ::open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return 0;
  const uid_t us = ::geteuid();
  int total = 0;
  for (int pass = 0; pass < 8; ++pass) {
    int this_pass = 0;
    for_each_entry(dir_fd, [&](const char* name) {
      if (!starts_with(name, prefix)) return true;
      struct stat st {};
      if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return true;
      if (st.st_uid != us || S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) return true;
      if (!remove) {
        ++this_pass;
        return true;
      }
      if (::unlinkat(dir_fd, name, 0) == 0) {
        ++this_pass;
        if (removed) removed(context, dir_path, name);
      }
      return true;
    });
    total += this_pass;
    if (!remove || this_pass == 0) break;
  }
  ::close(dir_fd);
  return total;
}

// Everything carrying `token` in the two shared directories.
int token_files(const char* token, const char* shm_dir, const char* tmp_dir, bool remove, ReapedEntry removed,
                void* context) noexcept {
  char segment_prefix[8 + kTokenLength];
  char runtime_prefix[8 + kTokenLength];
  make_prefix(segment_prefix, "sgn.", token, '.');
  make_prefix(runtime_prefix, "sgn_", token, '_');
  return token_entries(shm_dir, segment_prefix, remove, removed, context) +
         token_entries(tmp_dir, runtime_prefix, remove, removed, context);
}

// ---- This process's own record. ----

std::mutex g_record_mutex;
int g_record_fd = -1;      // never closed while the process lives: its lock says "alive"
int g_record_dir_fd = -1;  // the runtime directory it is in

std::string record_name() { return kRecordPrefix + process_token(); }

}  // namespace

const std::string& process_token() {
  // Never destroyed: exit handlers registered before its first use still need it.
  static const std::string& token = *new std::string([] {
    unsigned char bytes[kTokenLength / 2];
    std::size_t got = 0;
    while (got < sizeof bytes) {
      const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw posix_error("getrandom", "process token", errno);
      got += static_cast<std::size_t>(n);
    }
    std::string text;
    for (const unsigned char byte : bytes) text += fmt::format("{:02x}", byte);
    return text;
  }());
  return token;
}

void ensure_process_record(const RuntimeDir& dir) {
  std::lock_guard lock(g_record_mutex);
  if (g_record_fd >= 0) return;
  const std::string name = record_name();
  // A reaper may open the new file before it is locked, take the lock and remove
  // it: the lock is then on an orphan, and the record is made again.
  for (int attempt = 0; attempt < 10; ++attempt) {
    UniqueFd fd = dir.create_file(name, O_RDWR, 0600);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {  // a reaper holds it for a moment at most
      if (errno != EWOULDBLOCK && errno != EINTR) throw posix_error("flock(LOCK_EX)", dir.path_of(name), errno);
      if (std::chrono::steady_clock::now() > deadline) {
        throw Error(fmt::format("cannot lock the new process record '{}' within 1 s", dir.path_of(name)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const std::string pid = fmt::format("{}\n", ::getpid());
    if (::write(fd.get(), pid.data(), pid.size()) != static_cast<ssize_t>(pid.size())) {
      throw posix_error("write", dir.path_of(name), errno);
    }
    if (dir.names_same_file(name, fd.get())) {
      g_record_dir_fd = ::fcntl(dir.fd(), F_DUPFD_CLOEXEC, 0);
      if (g_record_dir_fd < 0) throw posix_error("fcntl(F_DUPFD_CLOEXEC)", dir.path(), errno);
      g_record_fd = fd.release();
      return;
    }
  }
  throw Error(fmt::format("cannot keep the process record '{}': it was removed again and again",
                          dir.path_of(name)));
}

void retire_process_record(bool remove_leftovers, const char* shm_dir, const char* tmp_dir) noexcept {
  std::lock_guard lock(g_record_mutex);
  if (g_record_fd < 0) return;
  const std::string& token = process_token();
  if (remove_leftovers) token_files(token.c_str(), shm_dir, tmp_dir, true, nullptr, nullptr);
  if (token_files(token.c_str(), shm_dir, tmp_dir, false, nullptr, nullptr) != 0) return;  // left to a reaper
  char name[kRecordPrefixLength + kTokenLength + 2];  // make_prefix writes a tail and a terminator
  make_prefix(name, kRecordPrefix, token.c_str(), '\0');
  if (fd_names_same_file(g_record_fd, g_record_dir_fd, name)) ::unlinkat(g_record_dir_fd, name, 0);
  ::close(g_record_fd);
  ::close(g_record_dir_fd);
  g_record_fd = g_record_dir_fd = -1;
}

int reap_dead_runs_at(int rundir_fd, const char* shm_dir, const char* tmp_dir, ReapedEntry removed,
                      void* context, int* live_records) noexcept {
  if (live_records) *live_records = 0;
  // A descriptor of our own: reading the directory moves its offset.
  const int list_fd = ::openat(rundir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (list_fd < 0) return 0;
  const uid_t us = ::geteuid();
  int total = 0;
  for_each_entry(list_fd, [&](const char* name) {
    if (!starts_with(name, kRecordPrefix) || !is_token(name + kRecordPrefixLength)) return true;
    const int record = ::openat(rundir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (record < 0) return true;
    struct stat st {};
    const bool ours = ::fstat(record, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == us;
    const bool dead = ours && ::flock(record, LOCK_EX | LOCK_NB) == 0;
    if (ours && !dead && live_records) ++*live_records;
    // Its owner is dead once its lock can be taken; a record replaced meanwhile is left for the next pass.
    if (dead && fd_names_same_file(record, rundir_fd, name)) {
      total += token_files(name + kRecordPrefixLength, shm_dir, tmp_dir, true, removed, context);
      if (::unlinkat(rundir_fd, name, 0) == 0) {
        ++total;
        if (removed) removed(context, nullptr, name);
      }
    }
    ::close(record);
    return true;
  });
  ::close(list_fd);
  return total;
}

std::vector<std::string> reap_dead_runs(const RuntimeDir& dir, const std::string& shm_dir,
                                        const std::string& tmp_dir) {
  struct Collected {
    const RuntimeDir& dir;
    std::vector<std::string> paths;
  } collected{dir, {}};
  reap_dead_runs_at(
      dir.fd(), shm_dir.c_str(), tmp_dir.c_str(),
      [](void* context, const char* in, const char* name) noexcept {
        auto& into = *static_cast<Collected*>(context);
        try {
          into.paths.push_back(in ? std::string(in) + "/" + name : into.dir.path_of(name));
        } catch (...) {  // out of memory: the entry is gone all the same
        }
      },
      &collected);
  return std::move(collected.paths);
}

}  // namespace sgn::detail
