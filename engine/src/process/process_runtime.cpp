#include "process/process_runtime.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "process/iox_runtime.hpp"
#include "process/iox_transport.hpp"
#include "roudi/roudi_introspection.hpp"
#include "roudi/run_record.hpp"
#include "sgn/error.hpp"
#include "sgn/logging.hpp"
#include "sgn_roudi_default_config.hpp"

namespace sgn::detail {

// RouDi comes up in ~0.6 s on a quiet 2-core machine, but over 5 s when a dozen
// busy processes share those cores; one that exits at start is seen at once.
constexpr auto kRoudiStartLimit = std::chrono::milliseconds(20000);
// A RouDi publishes its mempool introspection about once a second.
constexpr auto kIntrospectionLimit = std::chrono::milliseconds(5000);

std::string roudi_config_text() {
  if (const char* path = std::getenv("SGN_ROUDI_CONFIG"); path && *path) {
    std::ifstream in(path);
    if (!in) throw Error(fmt::format("SGN_ROUDI_CONFIG names '{}', which cannot be read", path));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  const std::string preset = roudi_preset();
  if (preset == "small") return kSmallRoudiConfig;
  if (preset != "default") {
    throw Error(fmt::format("SGN_ROUDI_PRESET='{}' is not a RouDi preset (default, small)", preset));
  }
  return kDefaultRoudiConfig;
}

std::string roudi_preset() {
  const char* preset = std::getenv("SGN_ROUDI_PRESET");
  return preset && *preset ? preset : "default";
}

namespace {
// Where the config comes from, and what to do when /dev/shm is too small for it.
void describe_roudi_config(RoudiSupervisor& roudi) {
  constexpr const char* kLarger = "make /dev/shm larger (docker run --shm-size=1g; mount -o remount,size=1G /dev/shm)";
  if (const char* path = std::getenv("SGN_ROUDI_CONFIG"); path && *path) {
    roudi.describe_config(fmt::format("the config '{}' (SGN_ROUDI_CONFIG)", path),
                          fmt::format("give a config with smaller pools, or {}", kLarger));
  } else if (roudi_preset() == "small") {
    roudi.describe_config("the small preset (SGN_ROUDI_PRESET=small)", kLarger);
  } else {
    roudi.describe_config("the default preset",
                          fmt::format("use the small preset (sgn-launch --roudi-preset small, or SGN_ROUDI_PRESET=small: "
                                      "a 64 MiB /dev/shm is enough, frames up to 64 KiB), or {}",
                                      kLarger));
  }
}
}  // namespace

ProcessRuntime& ProcessRuntime::instance() {
  static ProcessRuntime* runtime = [] {
    auto* made = new ProcessRuntime();  // never destroyed: iceoryx's own statics outlive it
    std::atexit([] { ProcessRuntime::instance().shutdown(); });
    return made;
  }();
  return *runtime;
}

void ProcessRuntime::init_iceoryx(const std::string& name) {
  if (runtime_up_) return;
  init_iox_runtime(name);
  runtime_up_ = true;
}

void ProcessRuntime::ensure_main(const std::function<bool()>& cancelled) {
  std::unique_lock lock(start_mutex_, std::defer_lock);
  while (!lock.try_lock_for(std::chrono::milliseconds(20))) {
    if (cancelled && cancelled()) throw StartCancelled("cancelled while another pipeline of this process starts RouDi");
  }
  if (!roudi_.alive() && (roudi_.in_use() || runtime_up_)) {
    throw Error("RouDi has died; process-mode pipelines cannot run in this process any more");
  }
  const RuntimeDir& dir = roudi_.runtime_dir();
  for (const auto& path : reap_dead_runs(dir)) logger("roudi")->info("removed {}, left by a dead sgn process", path);
  ensure_process_record(dir);
  if (!roudi_.in_use()) {
    const std::string config = roudi_config_text();
    describe_roudi_config(roudi_);
    const MempoolTable ours = MempoolTable::parse(config);
    if (ours.pools.empty()) throw Error("the RouDi config declares no mempool");
    roudi_.ensure_running(config, ours.shm_bytes(), kRoudiStartLimit, cancelled);
    // A RouDi another sgn process started may run with another config: use its pools.
    const std::optional<std::string> running = roudi_.engine_config_text();
    mempools_ = running ? MempoolTable::parse(*running) : ours;
    pools_known_ = running.has_value();
  }
  init_iceoryx(fmt::format("sgn_{}_main", process_token()));
  if (!pools_known_) {
    // A RouDi someone else started: its pools, not our config, bound every loan (a
    // bigger loan aborts inside iceoryx). RouDi publishes them about every second.
    std::optional<MempoolTable> attached = read_mempools_from_introspection(kIntrospectionLimit);
    if (!attached || attached->pools.empty()) {
      throw Error(fmt::format("cannot read the mempools of the RouDi in use: its introspection sent nothing within {} "
                              "ms",
                              kIntrospectionLimit.count()));
    }
    mempools_ = *attached;
    pools_known_ = true;
  }
}

void ProcessRuntime::ensure_worker() {
  mempools_ = MempoolTable::parse(roudi_config_text());
  if (!roudi_answers()) throw Error("no RouDi answers: the worker cannot connect");
  init_iceoryx(fmt::format("sgn_{}_worker", ::getpid()));
}

void ProcessRuntime::note_unclean_exit(const std::string& runtime_name) noexcept {
  // iceoryx's files of a runtime that never unregistered (its name carries our token).
  const std::string app = "/tmp/" + runtime_name;
  ::unlink(app.c_str());
  ::unlink((app + ".lock").c_str());
}

void ProcessRuntime::shutdown() noexcept {
  // The iceoryx runtime has been ended (or abandoned) by its own exit handler, which
  // runs before this one.
  // With no live RouDi, nothing can refer to this process's iceoryx files any more
  // (a keeper that saw its RouDi die is gone too): they go with the record.
  bool roudi_gone = false;
  try {
    roudi_gone = !roudi_.alive();
  } catch (...) {
  }
  roudi_.leave();  // no wait: the keeper stops an engine-started RouDi after its last user
  retire_process_record(roudi_gone);
}

}  // namespace sgn::detail
