#include "bench_common.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace bench {

bool g_smoke = false;
std::string g_self;

std::int64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace {
double seconds_of(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }
}  // namespace

double cpu_self() noexcept {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return seconds_of(ru.ru_utime) + seconds_of(ru.ru_stime);
}

void pin_this_thread(int cpu) noexcept {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  pthread_setaffinity_np(pthread_self(), sizeof one, &one);
}

double cache_line_handoff_ns() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
  int cpus[2] = {-1, -1};
  for (int cpu = 0, found = 0; cpu < CPU_SETSIZE && found < 2; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) cpus[found++] = cpu;
  }
  if (cpus[1] < 0) return 0;
  constexpr std::uint32_t kRoundTrips = 20'000;  // ~10 ms a round at 250 ns a handoff
  alignas(64) std::atomic<std::uint32_t> line{0};
  std::vector<double> rounds;
  // The line counts handoffs across all rounds: odd values from ping, even from echo.
  std::thread echo([&] {
    pin_this_thread(cpus[1]);
    for (std::uint32_t i = 0; i < 5 * kRoundTrips; ++i) {
      while (line.load(std::memory_order_acquire) != 2 * i + 1) __builtin_ia32_pause();
      line.store(2 * i + 2, std::memory_order_release);
    }
  });
  std::thread ping([&] {
    pin_this_thread(cpus[0]);
    for (std::uint32_t round = 0, i = 0; round < 5; ++round) {
      const std::int64_t start = now_ns();
      for (std::uint32_t end = i + kRoundTrips; i < end; ++i) {
        line.store(2 * i + 1, std::memory_order_release);
        while (line.load(std::memory_order_acquire) != 2 * i + 2) __builtin_ia32_pause();
      }
      rounds.push_back(static_cast<double>(now_ns() - start) / (2.0 * kRoundTrips));
    }
  });
  ping.join();
  echo.join();
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

double cpu_of_pid(long pid) noexcept {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return 0;
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields after the command: state(3) ... utime(14) stime(15).
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::uint64_t read_all(const std::byte* p, std::size_t n) {
  std::uint64_t sum = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    sum += w;
  }
  for (; i < n; ++i) sum += static_cast<std::uint64_t>(p[i]);
  return sum;
}

void bm_copy_buffer(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> src(size, std::byte{1}), dst(size, std::byte{0});
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), size);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(size));
  state.counters["frame_bytes"] = static_cast<double>(size);
  state.counters["GB_per_s"] =
      benchmark::Counter(static_cast<double>(size) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

std::uint64_t frames_for(std::int64_t size, double budget_bytes, std::uint64_t lo, std::uint64_t hi) {
  if (const char* fixed = std::getenv("SGN_BENCH_FRAMES"); fixed && *fixed) return std::stoull(fixed);  // profiling
  if (g_smoke) return size >= (1 << 20) ? 3 : 50;
  const double n = budget_bytes / static_cast<double>(size);
  return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(n), lo, hi);
}

std::uint64_t latency_frames_for(std::int64_t size) {
  if (g_smoke) return 3;
  if (size >= (16 << 20)) return 10;
  if (size >= (1 << 20)) return 50;
  return 1000;
}

std::uint64_t window_for(std::int64_t size) {
  // Pools of roudi-config/sgn-default.toml: (payload size, count).
  static const std::pair<std::int64_t, std::int64_t> kPools[] = {
      {2304, 2048}, {16640, 512}, {65792, 512}, {1048832, 64}, {4194560, 16}, {16777472, 8}, {67109120, 4}};
  const std::int64_t needed = size + 128 + 64;
  for (const auto& [bytes, count] : kPools) {
    if (needed <= bytes) return std::clamp<std::int64_t>(count / 4, 1, 100);
  }
  return 1;
}

void publish(benchmark::State& state, const Measured& m) {
  const double secs = std::max(m.seconds, 1e-9);
  state.SetIterationTime(secs);
  const double fps = static_cast<double>(m.frames) / secs;
  state.counters["frames"] = static_cast<double>(m.frames);
  state.counters["frame_bytes"] = static_cast<double>(m.bytes_per_frame);
  state.counters["frames_per_s"] = fps;
  state.counters["GB_per_s"] = fps * static_cast<double>(m.bytes_per_frame) / 1e9;
  state.counters["cpu_us_per_frame"] = m.frames ? m.cpu_seconds / static_cast<double>(m.frames) * 1e6 : 0;
  state.counters["p50_us"] = m.p50_us;
  state.counters["p99_us"] = m.p99_us;
  state.counters["copies"] = static_cast<double>(m.copies);
  if (m.handoff_ns > 0) state.counters["handoff_ns"] = m.handoff_ns;
}

Helper::Helper(const std::vector<std::string>& args, int fd3, const std::string& wrapper) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> all;
  if (!wrapper.empty()) all.push_back(wrapper);
  all.push_back(g_self);
  all.push_back("--bench-helper");
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (fd3 >= 0) posix_spawn_file_actions_adddup2(&actions, fd3, 3);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 4);
  posix_spawn_file_actions_addclosefrom_np(&actions, 5);  // iceoryx opens some fds without CLOEXEC
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipefd[1]);
  if (rc != 0) {
    ::close(pipefd[0]);
    throw std::runtime_error("posix_spawn failed for " + all[0]);
  }
  pid_ = pid;
  out_ = pipefd[0];
}

Helper::~Helper() {
  if (pid_ > 0) {
    ::kill(static_cast<pid_t>(pid_), SIGKILL);
    ::waitpid(static_cast<pid_t>(pid_), nullptr, 0);
  }
  if (out_ >= 0) ::close(out_);
}

std::string Helper::finish() {
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out_, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(out_);
  out_ = -1;
  int status = 0;
  rusage ru{};
  const pid_t pid = static_cast<pid_t>(pid_);
  pid_ = -1;
  if (::wait4(pid, &status, 0, &ru) != pid) throw std::runtime_error("wait4 failed");
  exited_ns_ = now_ns();
  cpu_ = seconds_of(ru.ru_utime) + seconds_of(ru.ru_stime);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("helper process failed (status " + std::to_string(status) + "): " + text);
  }
  return text;
}

namespace {
// Writes all of `text` to `fd` (again after EINTR); stops at an error.
void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}
}  // namespace

void helper_result(const std::string& text) { write_all(4, text); }

namespace {
// Reports live in a directory of this process's own (mkdtemp, mode 0700): nothing in /tmp
// under a guessable name, nothing another user could have put there.
std::string g_report_dir;
pid_t g_report_dir_owner = 0;

const std::string& report_dir() {
  if (g_report_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/sgn-bench-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
    g_report_dir = pattern;
    g_report_dir_owner = ::getpid();
    std::atexit(remove_report_dir);  // exits that skip main's end (and those that skip this: see main)
  }
  return g_report_dir;
}
}  // namespace

void remove_report_dir() noexcept {
  if (g_report_dir.empty() || ::getpid() != g_report_dir_owner) return;  // a fork's exit leaves it to its parent
  std::error_code ignored;
  std::filesystem::remove_all(g_report_dir, ignored);
  g_report_dir.clear();
}

Report read_report(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("no report at " + path + ": " + std::strerror(errno));
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  ::unlink(path.c_str());
  Report r;
  std::istringstream in(text);
  std::string key;
  while (in >> key) {
    if (key == "first_ns") in >> r.first_ns;
    else if (key == "last_ns") in >> r.last_ns;
    else if (key == "cpu_first") in >> r.cpu_first;
    else if (key == "cpu_last") in >> r.cpu_last;
    else if (key == "frames") in >> r.frames;
    else if (key == "p50_us") in >> r.p50_us;
    else if (key == "p99_us") in >> r.p99_us;
  }
  return r;
}

void write_report(const std::string& path, const Report& r) {
  std::ostringstream out;
  out.precision(17);
  out << "first_ns " << r.first_ns << "\nlast_ns " << r.last_ns << "\ncpu_first " << r.cpu_first << "\ncpu_last "
      << r.cpu_last << "\nframes " << r.frames << "\np50_us " << r.p50_us << "\np99_us " << r.p99_us << "\n";
  const std::string text = out.str();
  // A fresh file only: a path that exists already (or is a link) is not ours to write.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("report " + path + ": " + std::strerror(errno));
  write_all(fd, text);
  ::close(fd);
}

std::string report_path(const std::string& tag) {
  static std::atomic<int> counter{0};
  return report_dir() + "/" + tag + "-" + std::to_string(counter++) + ".txt";
}

}  // namespace bench
