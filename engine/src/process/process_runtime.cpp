#include "process/process_runtime.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "iceoryx_hoofs/log/logmanager.hpp"
#include "iceoryx_posh/mepoo/chunk_settings.hpp"
#include "iceoryx_posh/runtime/posh_runtime.hpp"
#include "process/iox_transport.hpp"
#include "sgn/error.hpp"
#include "sgn_roudi_default_config.hpp"

namespace sgn::detail {

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

void ProcessRuntime::read_config_limits(const std::string& toml) {
  std::size_t largest_chunk = 0;
  const std::regex size_line(R"(^\s*size\s*=\s*(\d+))");
  std::istringstream lines(toml);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_search(line, match, size_line)) largest_chunk = std::max<std::size_t>(largest_chunk, std::stoull(match[1]));
  }
  if (largest_chunk == 0) throw Error("the RouDi config declares no mempool");
  // A mempool `size` excludes iceoryx's chunk header; a 64-byte aligned payload
  // also pays padding. Checked at the exact boundary on this machine.
  auto settings = iox::mepoo::ChunkSettings::create(1, kChunkAlignment);
  const std::size_t overhead = settings.has_error() ? 128 : settings.value().requiredChunkSize() - 1;
  const std::size_t chunk = largest_chunk + sizeof(iox::mepoo::ChunkHeader);
  largest_payload_ = chunk > overhead ? chunk - overhead : 0;
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
  read_config_limits(config);
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
      roudi_.ensure_running(path, std::chrono::milliseconds(5000));
    } catch (...) {
      ::unlink(path);
      throw;
    }
    ::unlink(path);
  }
  init_iceoryx(fmt::format("sgn_{}_main", ::getpid()));
}

void ProcessRuntime::ensure_worker() {
  read_config_limits(roudi_config_text());
  if (!roudi_answers()) throw Error("no RouDi answers: the worker cannot connect");
  init_iceoryx(fmt::format("sgn_{}_worker", ::getpid()));
}

void ProcessRuntime::shutdown() noexcept {
  if (!roudi_.started_by_us()) return;
  // RouDi SIGTERMs the apps still registered when it stops, this one included.
  ::signal(SIGTERM, SIG_IGN);
  roudi_.stop();
}

}  // namespace sgn::detail
