#include "process/process_runtime.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "iceoryx_hoofs/log/logmanager.hpp"
#include "iceoryx_posh/runtime/posh_runtime.hpp"
#include "process/iox_transport.hpp"
#include "sgn/error.hpp"
#include "sgn_roudi_default_config.hpp"

namespace sgn::detail {

// RouDi comes up in ~0.6 s on a quiet 2-core machine, but over 5 s when a dozen
// busy processes share those cores; one that exits at start is seen at once.
constexpr auto kRoudiStartLimit = std::chrono::milliseconds(20000);

std::string roudi_config_text() {
  if (const char* path = std::getenv("SGN_ROUDI_CONFIG"); path && *path) {
    std::ifstream in(path);
    if (!in) throw Error(fmt::format("SGN_ROUDI_CONFIG names '{}', which cannot be read", path));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  return kDefaultRoudiConfig;
}

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
  iox::log::LogManager::GetLogManager().SetDefaultLogLevel(iox::log::LogLevel::kWarn,
                                                           iox::log::LogLevelOutput::kHideLogLevel);
  iox::runtime::PoshRuntime::initRuntime(iox::RuntimeName_t(iox::cxx::TruncateToCapacity, name.c_str()));
  runtime_up_ = true;
}

void ProcessRuntime::ensure_main() {
  const std::string config = roudi_config_text();
  mempools_ = MempoolTable::parse(config);
  if (mempools_.pools.empty()) throw Error("the RouDi config declares no mempool");
  if (!roudi_.alive() && (roudi_.started_by_us() || runtime_up_)) {
    throw Error("RouDi has died; process-mode pipelines cannot run in this process any more");
  }
  if (!runtime_up_ || !roudi_answers()) {
    char path[] = "/tmp/sgn-roudi-XXXXXX.toml";
    const int fd = ::mkstemps(path, 5);
    if (fd < 0) throw Error("cannot write the RouDi config to /tmp");
    const bool written = ::write(fd, config.data(), config.size()) == static_cast<ssize_t>(config.size());
    ::close(fd);
    try {
      if (!written) throw Error("cannot write the RouDi config to /tmp");
      roudi_.ensure_running(path, mempools_.shm_bytes(), kRoudiStartLimit);
    } catch (...) {
      ::unlink(path);
      throw;
    }
    ::unlink(path);
  }
  init_iceoryx(fmt::format("sgn_{}_main", ::getpid()));
}

void ProcessRuntime::ensure_worker() {
  mempools_ = MempoolTable::parse(roudi_config_text());
  if (!roudi_answers()) throw Error("no RouDi answers: the worker cannot connect");
  init_iceoryx(fmt::format("sgn_{}_worker", ::getpid()));
}

void ProcessRuntime::note_unclean_exit(long worker_pid) noexcept {
  last_unclean_exit_ = std::chrono::steady_clock::now();
  const std::string app = fmt::format("/tmp/sgn_{}_worker", worker_pid);
  ::unlink(app.c_str());
  ::unlink((app + ".lock").c_str());
}

void ProcessRuntime::shutdown() noexcept {
  constexpr auto kRoudiNoticesDeath = std::chrono::milliseconds(1700);
  const auto settled = last_unclean_exit_ + kRoudiNoticesDeath;
  if (last_unclean_exit_ != std::chrono::steady_clock::time_point{}) std::this_thread::sleep_until(settled);
  // RouDi SIGTERMs the apps still registered when it stops, this one included.
  ::signal(SIGTERM, SIG_IGN);
  roudi_.stop();
}

}  // namespace sgn::detail
