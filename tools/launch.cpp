// sgn::launch_main: the sgn-launch command line (see launch.hpp and the README).

#include <fcntl.h>
#include <fmt/format.h>
#include <sgn/error.hpp>
#include <sgn/logging.hpp>
#include <sgn/parse_launch.hpp>
#include <sgn/pipeline.hpp>
#include <sgn/plugins.hpp>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json_text.hpp"
#include "sgn/launch.hpp"

namespace sgn {
namespace {

using detail::json_string;

constexpr const char* kUsage = R"(usage: {0} [options] PIPELINE...
       {0} [options] -f FILE

Builds the pipeline PIPELINE describes and runs it until every sink has seen EOS:

  {0} sine-source frames=2000 ! fir taps=64 placement=process ! stats-sink

Elements are registered type names with name=value properties, joined by '!';
name=N names an element, placement=main|thread|process places it, and N.pad
(or N. alone) refers to a pad for fan-out and multi-pad elements. The words of
PIPELINE are joined with spaces. sgn-inspect lists the element types.

options (anywhere; after '--' every word belongs to PIPELINE):
  -f, --file FILE       read the description from FILE ('-': standard input)
  -t, --threads         run every element in a worker thread (no worker processes, no RouDi)
      --queue N         capacity of every channel between placements, in frames: 1 to 65536
                        (default 100; at most 256 when an element has placement=process)
      --queue-bytes N   bytes every channel between main and thread placements queues at
                        most (the buffers of its frames; an empty channel takes any frame):
                        0 for no byte bound, default 67108864 (64 MiB)
      --join-timeout MS how long a worker may take to end once asked: 0 to 86400000 (24 h;
                        default 10000)
      --spin-us N       low-latency mode for every element: busy-poll up to N microseconds
                        before sleeping, 0 to 100000 (default 0; an element's spin_us=N
                        overrides it). A frame arriving within the spin skips a wake-up
                        (~25 us), at the cost of a core kept busy while it spins
      --json FILE       write the run's statistics as JSON to FILE ('-': standard output,
                        the human-readable output then goes to standard error)
      --dot FILE        write the pipeline as a Graphviz DOT graph to FILE ('-': standard output,
                        the human-readable output then goes to standard error); --json and
                        --dot cannot both be '-'
      --roudi-preset P  the RouDi configuration when the engine starts RouDi: default (about
                        620 MiB of /dev/shm, frames up to 64 MiB) or small (fits a 64 MiB
                        /dev/shm, frames up to 64 KiB); default: $SGN_ROUDI_PRESET or default
  -q, --quiet           print no progress and no statistics table (errors only, iceoryx's too)
  -v, --verbose         more log output (-v debug: elements starting and ending, RouDi, link
                        windows; -vv trace); --log-level LEVEL sets it (trace, debug, info,
                        warn, error, off; default: $SGN_LOG_LEVEL or info)
      --plugin-path PATHS load element plugins from PATHS (colon-separated files or directories;
                        also $SGN_PLUGIN_PATH and the installed plugin directory)
      --version         the version of sgn
  -h, --help            this text

exit codes:
  0    the pipeline ran to EOS
  1    the pipeline failed (an element error, a worker that died, a timeout)
  2    usage error, or a description that does not parse or validate
  130  interrupted by Ctrl+C (SIGINT) or SIGTERM: the first drains the pipeline
       (sources end with EOS), a second stops it at once
)";
static_assert(kDefaultQueueMaxBytes == 67108864, "the --queue-bytes default in kUsage is out of date");
static_assert(kQueueMaxsizeLimit == 65536 && kProcessQueueMaxsizeLimit == 256 &&
                  kJoinTimeoutLimit == std::chrono::hours(24) && kSpinLimit == std::chrono::microseconds(100'000),
              "the bounds of --queue, --join-timeout and --spin-us in kUsage are out of date");

struct Options {
  std::optional<std::string> file;
  std::vector<std::string> words;
  bool threads = false;
  std::size_t queue = 100;
  std::size_t queue_bytes = kDefaultQueueMaxBytes;
  std::chrono::milliseconds join_timeout{10000};
  std::chrono::microseconds spin{0};
  std::optional<std::string> json, dot;
  bool quiet = false;
  bool version = false;
  std::optional<std::string> roudi_preset;
  std::vector<std::string> complete;  // --complete WHAT [TYPE]: words for shell completion
  std::optional<spdlog::level::level_enum> log_level;
};

// Ctrl+C/SIGTERM outside run() (which installs the engine's own handler): before the
// pipeline exists they are counted; once it exists they are handed to it, and it keeps
// them for run() (the first drains, the second stops), so none is lost in between.
std::atomic<int> g_early_signals{0};
std::atomic<Pipeline*> g_pipeline{nullptr};
extern "C" void on_early_signal(int) {
  const int count = g_early_signals.fetch_add(1) + 1;
  if (Pipeline* pipeline = g_pipeline.load()) {
    if (count == 1) {
      pipeline->request_shutdown();
    } else {
      pipeline->request_stop();
    }
  }
}

std::string program_name(const char* argv0) {
  std::string_view name = argv0 ? argv0 : "sgn-launch";
  if (const auto slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  return std::string(name);
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

/// Parses the options; returns an error message, or "" when fine.
std::string parse_options(int argc, char** argv, Options& o, bool& help) {
  int verbose = 0;
  int i = 1;
  auto value = [&](std::string_view option) -> std::optional<std::string> {
    if (i + 1 >= argc) return std::nullopt;
    (void)option;
    return std::string(argv[++i]);
  };
  bool words_only = false;  // after "--"
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!words_only && arg == "--") {
      words_only = true;
      continue;
    }
    if (words_only || arg.empty() || arg[0] != '-' || arg == "-") {
      o.words.emplace_back(arg);  // no description word starts with '-'
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      help = true;
      return "";
    } else if (arg == "--version") {
      o.version = true;
      return "";
    } else if (arg == "--complete") {
      // Hidden: for the bash completion (tools/completion/), `--complete types` or
      // `--complete properties TYPE`; ends the options.
      for (++i; i < argc; ++i) o.complete.emplace_back(argv[i]);
      if (o.complete.empty()) return "--complete needs 'options', 'types' or 'properties TYPE'";
      return "";
    } else if (arg == "--roudi-preset") {
      auto v = value(arg);
      if (!v || (*v != "default" && *v != "small")) {
        return fmt::format("--roudi-preset needs default or small, got {}", v ? fmt::format("'{}'", *v) : "nothing");
      }
      o.roudi_preset = *v;
    } else if (arg == "-f" || arg == "--file") {
      auto v = value(arg);
      if (!v) return fmt::format("{} needs a file name", arg);
      o.file = *v;
    } else if (arg == "-t" || arg == "--threads") {
      o.threads = true;
    } else if (arg == "--queue") {
      auto v = value(arg);
      if (!v || !parse_number(*v, o.queue) || o.queue < 1 || o.queue > kQueueMaxsizeLimit) {
        return fmt::format("--queue needs a number of frames from 1 to {}, got {}", kQueueMaxsizeLimit,
                           v ? fmt::format("'{}'", *v) : "nothing");
      }
    } else if (arg == "--queue-bytes") {
      auto v = value(arg);
      if (!v || !parse_number(*v, o.queue_bytes)) {
        return fmt::format("--queue-bytes needs a number of bytes (0: no byte bound), got {}",
                           v ? fmt::format("'{}'", *v) : "nothing");
      }
    } else if (arg == "--join-timeout") {
      auto v = value(arg);
      std::chrono::milliseconds::rep ms = 0;
      if (!v || !parse_number(*v, ms) || ms < 0 || ms > kJoinTimeoutLimit.count()) {
        return fmt::format("--join-timeout needs a number of milliseconds from 0 to {} (24 h), got {}",
                           kJoinTimeoutLimit.count(), v ? fmt::format("'{}'", *v) : "nothing");
      }
      o.join_timeout = std::chrono::milliseconds(ms);
    } else if (arg == "--spin-us") {
      auto v = value(arg);
      std::chrono::microseconds::rep us = 0;
      if (!v || !parse_number(*v, us) || us < 0 || us > kSpinLimit.count()) {
        return fmt::format("--spin-us needs a number of microseconds from 0 to {}, got {}", kSpinLimit.count(),
                           v ? fmt::format("'{}'", *v) : "nothing");
      }
      o.spin = std::chrono::microseconds(us);
    } else if (arg == "--json") {
      auto v = value(arg);
      if (!v) return "--json needs a file name (or '-')";
      o.json = *v;
    } else if (arg == "--dot") {
      auto v = value(arg);
      if (!v) return "--dot needs a file name (or '-')";
      o.dot = *v;
    } else if (arg == "-q" || arg == "--quiet") {
      o.quiet = true;
    } else if (arg == "-v" || arg == "--verbose") {
      ++verbose;
    } else if (arg == "-vv") {
      verbose += 2;
    } else if (arg == "--log-level") {
      auto v = value(arg);
      if (!v) return "--log-level needs a level";
      const auto level = parse_log_level(*v);
      if (!level) return fmt::format("unknown log level '{}' (trace, debug, info, warn, error, off)", *v);
      o.log_level = *level;
    } else if (arg == "--plugin-path" || arg.starts_with("--plugin-path=")) {
      // Loaded by the program before sgn::init (sgn::load_plugins), so its workers load them too.
      if (arg == "--plugin-path" && !value(arg)) return "--plugin-path needs plugin files or directories";
      if (!load_plugins_called()) return "--plugin-path: this program does not load plugins (sgn::load_plugins)";
    } else {
      return fmt::format("unknown option '{}'", arg);
    }
  }
  if (verbose > 0 && !o.log_level) o.log_level = verbose == 1 ? spdlog::level::debug : spdlog::level::trace;
  if (o.json == "-" && o.dot == "-") return "--json - and --dot - cannot both write to standard output";
  if (o.file && !o.words.empty()) return "give the pipeline either as arguments or with -f FILE, not both";
  if (!o.file && o.words.empty()) return "no pipeline given";
  return "";
}

std::string read_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read '{}'", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Writes `text` to `path` ('-': standard output).
void write_file(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
}

/// "" when `path` can be written (it is created if missing), else why not: checked
/// before the run, so a run's statistics are never lost at its end.
std::string check_writable(const std::string& option, const std::string& path) {
  if (path == "-") return "";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fmt::format("{} '{}' cannot be written: open: {} (errno {})", option, path, std::strerror(errno), errno);
  }
  ::close(fd);
  return "";
}

std::string dot_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string to_dot(const Pipeline& pipeline) {
  std::string out = "digraph pipeline {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"monospace\"];\n";
  for (const std::string& name : pipeline.element_names()) {
    const Placement placement = pipeline.placement(name);
    const char* color = placement == Placement::Process ? "lightsalmon" : placement == Placement::Thread ? "lightblue" : "white";
    out += fmt::format("  {} [label={}, fillcolor={}];\n", dot_string(name),
                       dot_string(fmt::format("{}\n{}\n{}", name, pipeline.element(name).type_name(), to_string(placement))),
                       color);
  }
  for (const PadLink& link : pipeline.links()) {
    std::string type;
    for (const auto& pad : pipeline.element(link.from).outputs()) {
      if (pad.name == link.from_pad) type = pad.type.name;
    }
    out += fmt::format("  {} -> {} [label={}];\n", dot_string(link.from), dot_string(link.to),
                       dot_string(fmt::format("{} -> {}\n{}", link.from_pad, link.to_pad, type)));
  }
  return out + "}\n";
}

std::string format_bytes(double bytes) {
  if (bytes < 1e3) return fmt::format("{:.0f} B", bytes);
  if (bytes < 1e6) return fmt::format("{:.1f} kB", bytes / 1e3);
  if (bytes < 1e9) return fmt::format("{:.1f} MB", bytes / 1e6);
  return fmt::format("{:.2f} GB", bytes / 1e9);
}

std::string format_duration(std::chrono::nanoseconds elapsed) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  return fmt::format("{}:{:02}:{:02}.{:03}", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

void print_table(std::FILE* out, const RunReport& report) {
  std::vector<std::vector<std::string>> rows{{"element", "type", "placement", "pid", "frames in", "frames out",
                                              "bytes in", "bytes out", "copies", "p50 us", "p99 us"}};
  for (const ElementStats& e : report.elements) {
    const bool measured = e.frames_in > 0;
    rows.push_back({e.name, e.type_name, std::string(to_string(e.placement)), std::to_string(e.pid),
                    std::to_string(e.frames_in), std::to_string(e.frames_out),
                    format_bytes(static_cast<double>(e.bytes_in)), format_bytes(static_cast<double>(e.bytes_out)),
                    std::to_string(e.copies), measured ? fmt::format("{:.1f}", e.latency_p50_us) : "-",
                    measured ? fmt::format("{:.1f}", e.latency_p99_us) : "-"});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      // Names left-aligned, numbers right-aligned.
      line += c < 3 ? fmt::format("{:<{}}", row[c], width[c]) : fmt::format("{:>{}}", row[c], width[c]);
      if (c + 1 < row.size()) line += "  ";
    }
    fmt::print(out, "{}\n", line);
  }
}

/// A latency in microseconds, or null for an element that received no frame (a source).
std::string json_latency(const ElementStats& e, double us) {
  return e.frames_in > 0 ? fmt::format("{:.3f}", us) : "null";
}

// The JSON's format, documented in README ("--json"): bump kJsonVersion when a field
// changes meaning or goes; adding a field keeps the version.
constexpr const char* kJsonFormat = "sgn-launch-stats";
constexpr int kJsonVersion = 1;

std::string stats_json(const RunReport* report, int exit_code, const std::string& error_json) {
  std::string out = fmt::format("{{\n  \"format\": \"{}\",\n  \"version\": {},\n  \"exit_code\": {},\n",
                                kJsonFormat, kJsonVersion, exit_code);
  if (report) {
    out += fmt::format("  \"interrupted\": {},\n  \"stopped\": {},\n  \"elapsed_s\": {:.6f},\n",
                       report->interrupted ? "true" : "false", report->stopped ? "true" : "false",
                       std::chrono::duration<double>(report->elapsed).count());
    out += "  \"elements\": [";
    bool first = true;
    for (const ElementStats& e : report->elements) {
      out += first ? "\n" : ",\n";
      first = false;
      out += fmt::format(
          "    {{\"name\": {}, \"type\": {}, \"placement\": \"{}\", \"pid\": {}, \"frames_in\": {}, "
          "\"frames_out\": {}, \"bytes_in\": {}, \"bytes_out\": {}, \"gaps\": {}, \"copies\": {}, "
          "\"discarded\": {}, \"latency_p50_us\": {}, \"latency_p99_us\": {}}}",
          json_string(e.name), json_string(e.type_name), to_string(e.placement), e.pid, e.frames_in, e.frames_out,
          e.bytes_in, e.bytes_out, e.gaps, e.copies, e.discarded, json_latency(e, e.latency_p50_us),
          json_latency(e, e.latency_p99_us));
    }
    out += first ? "]" : "\n  ]";
  } else {
    out += "  \"elements\": []";
  }
  if (!error_json.empty()) out += ",\n  \"error\": " + error_json;
  return out + "\n}\n";
}

/// The launcher's SIGINT/SIGTERM handling outside run() (run() installs the engine's own).
/// Publishes `pipeline` to the handler and hands it the signals that came before.
class EarlySignals {
 public:
  void hand_to(Pipeline& pipeline) {
    g_pipeline.store(&pipeline);
    const int before = g_early_signals.load();
    if (before >= 1) pipeline.request_shutdown();
    if (before >= 2) pipeline.request_stop();
  }
  EarlySignals() {
    struct sigaction action {};
    action.sa_handler = on_early_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  ~EarlySignals() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  EarlySignals(const EarlySignals&) = delete;
  EarlySignals& operator=(const EarlySignals&) = delete;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

/// The live progress line (terminal) or a one-time "running" line (anything else).
/// Every log line clears it first (it is redrawn at the next update), and it says at
/// once when a Ctrl+C started a drain or a second one a stop.
class ProgressLine {
 public:
  ProgressLine(std::FILE* out, bool enabled) : out_(out), enabled_(enabled), tty_(enabled && ::isatty(::fileno(out))) {
    if (tty_) set_before_log_line([this] { clear_locked(); });
  }
  ~ProgressLine() {
    if (tty_) set_before_log_line({});
  }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void update(const Progress& p) {
    if (!enabled_) return;
    with_log_output_locked([&] {
      if (!announced_) {
        announced_ = true;
        clear_locked();
        fmt::print(out_, "Running (Ctrl+C ends the stream with EOS and drains, a second Ctrl+C stops)\n");
      }
      if (p.draining && !said_draining_) {
        said_draining_ = true;
        clear_locked();
        fmt::print(out_, "Interrupt: draining; Ctrl+C again to stop\n");
      }
      if (p.stopping && !said_stopping_) {
        said_stopping_ = true;
        clear_locked();
        fmt::print(out_, "Interrupt: stopping without draining\n");
      }
      if (tty_) {
        const double seconds = std::chrono::duration<double>(p.elapsed - last_.elapsed).count();
        const double fps = seconds > 0 ? static_cast<double>(p.frames - last_.frames) / seconds : 0;
        const double mbps = seconds > 0 ? static_cast<double>(p.bytes - last_.bytes) / seconds / 1e6 : 0;
        last_ = p;
        fmt::print(out_, "\r\33[K{} frames  {:.0f} frames/s  {:.1f} MB/s  elapsed {}", p.frames, fps, mbps,
                   format_duration(p.elapsed));
        drawn_ = true;
      }
      std::fflush(out_);
    });
  }
  void clear() {
    with_log_output_locked([this] { clear_locked(); });
  }

 private:
  void clear_locked() {
    if (drawn_) {
      fmt::print(out_, "\r\33[K");
      std::fflush(out_);
    }
    drawn_ = false;
  }

  std::FILE* out_;
  bool enabled_, tty_;
  bool announced_ = false, drawn_ = false, said_draining_ = false, said_stopping_ = false;
  Progress last_;
};

/// `message` without the mentions of `element` the engine and the element put in it
/// ("element 'x' (thread), pad 'in', frame 3: "): the headline names it once.
std::string without_element_mentions(const std::string& message, const std::string& element) {
  std::string quoted;
  for (const char c : element) {
    if (std::strchr(R"(\^$.|?*+()[]{})", c)) quoted += '\\';
    quoted += c;
  }
  const std::regex mention("element '" + quoted + R"re('( \([^)]*\))?(, pad '[^']*', frame [0-9]+)?: )re");
  return std::regex_replace(message, mention, "");
}

/// The error's message and then each nested cause that says something new ("caused
/// by: ... [type]"), without the element's name in them.
std::string causes_once(const std::exception& error, const std::string& element) {
  std::string out = without_element_mentions(error.what(), element);
  std::string said = out;
  int depth = 0;
  std::function<void(const std::exception&)> nested_of = [&](const std::exception& outer) {
    try {
      std::rethrow_if_nested(outer);
    } catch (const std::exception& inner) {
      ++depth;
      const std::string text = without_element_mentions(inner.what(), element);
      if (said.find(text) == std::string::npos) {
        out += fmt::format("\n{:{}}caused by: {} [{}]", "", depth * 2, text, exception_type_name(inner));
        said += text;
      }
      nested_of(inner);
    } catch (...) {
      out += fmt::format("\n{:{}}caused by: something that is not a std::exception", "", (depth + 1) * 2);
    }
  };
  nested_of(error);
  return out;
}

/// The error line ("element f (process, pid 12), pad 'in', frame 3: message" and its
/// causes) and the JSON "error" object of a run that threw, from the error's fields.
std::pair<std::string, std::string> describe_run_error(const std::exception& e, const Pipeline* pipeline) {
  const auto* element_error = dynamic_cast<const ElementError*>(&e);
  std::vector<std::string> names;
  if (pipeline) names = pipeline->element_names();
  const bool in_pipeline =
      element_error && std::find(names.begin(), names.end(), element_error->element()) != names.end();
  if (!element_error || (!in_pipeline && !element_error->site().placement)) {
    return {describe_exception(e), fmt::format("{{\"message\": {}}}", json_string(describe_exception(e)))};
  }
  const std::string& name = element_error->element();
  const ErrorSite& site = element_error->site();
  const Placement where = site.placement ? *site.placement : pipeline->placement(name);
  const std::string placement(to_string(where));
  // A main- or thread-placed element runs in this process whatever the error says.
  const long pid = site.pid != 0 || where == Placement::Process ? site.pid : static_cast<long>(::getpid());
  std::string head = pid != 0 ? fmt::format("element {} ({}, pid {})", name, placement, pid)
                              : fmt::format("element {} ({})", name, placement);
  if (site.sequence) head += fmt::format(", pad '{}', frame {}", site.pad, *site.sequence);
  const std::string text = causes_once(e, name);
  const std::string frame_json =
      site.sequence ? fmt::format(", \"pad\": {}, \"sequence\": {}", json_string(site.pad), *site.sequence) : "";
  return {fmt::format("{}: {}", head, text),
          fmt::format("{{\"element\": {}, \"placement\": \"{}\", \"pid\": {}{}, \"message\": {}}}",
                      json_string(name), placement, pid, frame_json, json_string(describe_exception(e)))};
}

/// What a run that returned prints: how an interruption ended, the table, the time.
void print_outcome(std::FILE* human, const RunReport& report, bool interrupted) {
  if (interrupted) {
    fmt::print(human, "Interrupted: {}\n",
               report.stopped ? "stopped without draining" : "sources ended with EOS and the pipeline drained");
  }
  fmt::print(human, "\n");
  print_table(human, report);
  fmt::print(human, "\nExecution ended after {}\n", format_duration(report.elapsed));
  std::fflush(human);
}


/// `--complete types` (every element type), `--complete properties TYPE` (its
/// properties as "name=", and the parser's own words), `--complete options`.
int print_completions(const std::vector<std::string>& what, const Registry& registry) {
  if (what[0] == "types") {
    for (const std::string& name : registry.names()) fmt::print("{}\n", name);
    return kLaunchOk;
  }
  if (what[0] == "properties" && what.size() == 2) {
    if (!registry.contains(what[1])) return kLaunchUsage;
    for (const PropertySpec& spec : registry.at(what[1]).info.properties) fmt::print("{}=\n", spec.name);
    fmt::print("name=\nplacement=\n");
    return kLaunchOk;
  }
  if (what[0] == "options") {
    for (const char* option : {"-f", "--file", "-t", "--threads", "--queue", "--queue-bytes", "--join-timeout",
                               "--spin-us", "--json", "--dot",
                               "--roudi-preset", "--plugin-path", "-q", "--quiet", "-v", "-vv", "--verbose", "--log-level", "--version",
                               "-h", "--help"}) {
      fmt::print("{}\n", option);
    }
    return kLaunchOk;
  }
  return kLaunchUsage;
}

void print_version(const std::string& program) { fmt::print("{} (sgn) {}\n", program, SGN_VERSION); }

}  // namespace

int launch_main(int argc, char** argv, Registry& registry) {
  const std::string program = program_name(argc > 0 ? argv[0] : nullptr);
  Options options;
  bool help = false;
  if (const std::string problem = parse_options(argc, argv, options, help); !problem.empty() || help) {
    if (help) {
      fmt::print(kUsage, program);
      return kLaunchOk;
    }
    fmt::print(stderr, "{}: {}\n\n", program, problem);
    fmt::print(stderr, kUsage, program);
    return kLaunchUsage;
  }
  if (options.version) {
    print_version(program);
    return kLaunchOk;
  }
  if (!options.complete.empty()) return print_completions(options.complete, registry);

  // The level: --log-level or -v, else $SGN_LOG_LEVEL (an invalid one is warned about),
  // else info; -q raises it to warn. Set explicitly, so iceoryx's follows it.
  const char* env_level = std::getenv("SGN_LOG_LEVEL");
  const bool env_level_invalid = !options.log_level && env_level && *env_level && !parse_log_level(env_level);
  spdlog::level::level_enum level = options.log_level.value_or(log_level());
  if (!options.log_level && options.quiet && level < spdlog::level::warn) level = spdlog::level::warn;
  set_log_level(level);
  if (env_level_invalid) {
    logger("launch")->warn("SGN_LOG_LEVEL='{}' is not a log level (trace, debug, info, warn, error, off, in any case): "
                           "using {}",
                           env_level, spdlog::level::to_string_view(level));
  }
  if (options.roudi_preset) ::setenv("SGN_ROUDI_PRESET", options.roudi_preset->c_str(), 1);  // workers inherit it

  // Machine-readable output on standard output moves the human-readable output away.
  std::FILE* human = options.json == "-" || options.dot == "-" ? stderr : stdout;
  const bool chatty = !options.quiet;
  EarlySignals early;

  auto write_json = [&](const RunReport* report, int code, const std::string& error) {
    if (!options.json) return;
    try {
      write_file(*options.json, stats_json(report, code, error));
    } catch (const std::exception& e) {
      fmt::print(stderr, "{}: {}\n", program, e.what());
    }
  };
  auto usage_error = [&](const std::string& what) {
    fmt::print(stderr, "ERROR: {}\n", what);
    write_json(nullptr, kLaunchUsage, fmt::format("{{\"message\": {}}}", json_string(what)));
    return kLaunchUsage;
  };
  for (const auto& [option, path] : {std::pair{"--json", options.json}, std::pair{"--dot", options.dot}}) {
    if (!path) continue;
    if (const std::string problem = check_writable(option, *path); !problem.empty()) {
      fmt::print(stderr, "ERROR: {}\n", problem);
      return kLaunchUsage;
    }
  }

  std::string description;
  try {
    description = options.file ? read_file(*options.file) : join_launch_args(options.words);
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }

  ProgressLine progress(human, chatty);
  PipelineOptions pipeline_options;
  pipeline_options.registry = &registry;
  pipeline_options.queue_maxsize = options.queue;
  pipeline_options.queue_max_bytes = options.queue_bytes;
  pipeline_options.join_timeout = options.join_timeout;
  pipeline_options.spin = options.spin;
  pipeline_options.progress = [&progress](const Progress& p) { progress.update(p); };
  if (options.threads) pipeline_options.default_placement = Placement::Thread;

  auto element_failed = [&](const std::exception& e, const Pipeline* pipeline, const RunReport* report) {
    progress.clear();
    const auto [line, error_json] = describe_run_error(e, pipeline);
    fmt::print(stderr, "ERROR: {}\n", line);
    write_json(report, kLaunchFailed, error_json);
    return kLaunchFailed;
  };

  std::optional<Pipeline> pipeline;
  try {
    pipeline.emplace(parse_launch(description, pipeline_options,
                                  options.threads ? std::optional<Placement>(Placement::Thread) : std::nullopt));
    pipeline->validate();
  } catch (const ParseError& e) {
    return usage_error(fmt::format("could not parse the pipeline {}", e.what()));
  } catch (const ElementError& e) {
    return element_failed(e, pipeline ? &*pipeline : nullptr, nullptr);  // its constructor threw
  } catch (const Error& e) {
    return usage_error(fmt::format("invalid pipeline: {}", e.what()));
  }
  early.hand_to(*pipeline);
  struct Unpublish {  // before the pipeline goes
    ~Unpublish() { g_pipeline.store(nullptr); }
  } unpublish;
  if (options.dot) {
    try {
      write_file(*options.dot, to_dot(*pipeline));
    } catch (const std::exception& e) {
      return usage_error(e.what());
    }
  }
  if (g_early_signals.load() > 0) {
    fmt::print(stderr, "Interrupted before the pipeline started\n");
    write_json(nullptr, kLaunchInterrupted, "");
    return kLaunchInterrupted;
  }

  RunReport report;
  try {
    report = pipeline->run();
  } catch (const std::exception& e) {
    // What every element did until then stays in the JSON.
    return element_failed(e, &*pipeline, &pipeline->last_report());
  }
  progress.clear();

  const bool interrupted = report.interrupted || g_early_signals.load() > 0;
  const int code = interrupted ? kLaunchInterrupted : kLaunchOk;
  if (chatty) print_outcome(human, report, interrupted);
  write_json(&report, code, "");
  return code;
}

}  // namespace sgn
