// Loading element plugins (see sgn/plugins.hpp).

#include "sgn/plugins.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <sgn/logging.hpp>
#include <sgn/plugin.hpp>
#include <string_view>
#include <system_error>

#ifndef SGN_INSTALL_LIBDIR
#define SGN_INSTALL_LIBDIR "lib"
#endif

namespace sgn {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPluginPathVariable = "SGN_PLUGIN_PATH";
constexpr const char* kWorkerFilesVariable = "SGN_PLUGIN_FILES";  // main -> its workers, '\n'-separated

std::vector<LoadedPlugin>& loaded() {
  static std::vector<LoadedPlugin> plugins;
  return plugins;
}

std::string mode_text(mode_t mode) { return fmt::format("{:04o}", mode & 07777); }

/// Refuses a plugin another user could have written, or replaced on its way from "/".
void check_trusted(const std::string& file, const fs::path& canonical) {
  const uid_t me = ::geteuid();
  const auto trusted_owner = [&](uid_t uid) { return uid == 0 || uid == me; };
  struct stat st {};
  if (::stat(canonical.c_str(), &st) != 0) throw PluginError(file, fmt::format("stat: {}", std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw PluginError(file, "is not a regular file");
  if (!trusted_owner(st.st_uid)) {
    throw PluginError(
        file, fmt::format("is owned by uid {}, neither root nor this user (uid {}): not loaded", st.st_uid, me));
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    throw PluginError(file, fmt::format("is writable by group or others (mode {}): not loaded", mode_text(st.st_mode)));
  }
  for (fs::path dir = canonical.parent_path();; dir = dir.parent_path()) {
    if (::stat(dir.c_str(), &st) != 0) {
      throw PluginError(file, fmt::format("stat '{}': {}", dir.string(), std::strerror(errno)));
    }
    if (!trusted_owner(st.st_uid)) {
      throw PluginError(file, fmt::format("its directory '{}' is owned by uid {}, neither root nor this user (uid {}): "
                                          "not loaded",
                                          dir.string(), st.st_uid, me));
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
      throw PluginError(file, fmt::format("its directory '{}' is writable by group or others (mode {}): not loaded",
                                          dir.string(), mode_text(st.st_mode)));
    }
    if (dir == dir.root_path() || dir.empty()) break;
  }
}

/// The entry point, or a PluginError saying what the library has instead.
sgn_plugin_entry_point entry_point(const std::string& file, void* handle) {
  if (void* symbol = ::dlsym(handle, SGN_PLUGIN_ENTRY_POINT)) {
    return reinterpret_cast<sgn_plugin_entry_point>(symbol);
  }
  for (int version = 0; version < 10; ++version) {
    const std::string other = fmt::format("sgn_plugin_v{}", version);
    if (other != SGN_PLUGIN_ENTRY_POINT && ::dlsym(handle, other.c_str())) {
      throw PluginError(file, fmt::format("has no symbol {} but {}: it was built for plugin ABI {}, this program "
                                          "loads plugin ABI {}",
                                          SGN_PLUGIN_ENTRY_POINT, other, version, SGN_PLUGIN_ABI_VERSION));
    }
  }
  throw PluginError(file, fmt::format("has no symbol {}: not an sgn plugin (a plugin's source defines it with "
                                      "SGN_PLUGIN(register_fn), <sgn/plugin.hpp>)",
                                      SGN_PLUGIN_ENTRY_POINT));
}

void check_descriptor(const std::string& file, const sgn_plugin_descriptor* d) {
  if (!d) throw PluginError(file, fmt::format("{}() returned no descriptor", SGN_PLUGIN_ENTRY_POINT));
  const auto text = [](const char* s) { return s ? std::string(s) : std::string("(none)"); };
  if (d->abi_version != SGN_PLUGIN_ABI_VERSION) {
    throw PluginError(file, fmt::format("was built for plugin ABI {}, this program loads plugin ABI {}", d->abi_version,
                                        SGN_PLUGIN_ABI_VERSION));
  }
  if (!d->sgn_version || std::strcmp(d->sgn_version, SGN_VERSION_STRING) != 0) {
    throw PluginError(file, fmt::format("was built for sgn {}, this program is sgn {}: rebuild the plugin against it",
                                        text(d->sgn_version), SGN_VERSION_STRING));
  }
  if (!d->build_tag || std::strcmp(d->build_tag, SGN_PLUGIN_BUILD_TAG) != 0) {
    throw PluginError(file, fmt::format("was built with '{}', this program with '{}': C++ ABIs differ",
                                        text(d->build_tag), SGN_PLUGIN_BUILD_TAG));
  }
  if (!d->register_types) throw PluginError(file, "its descriptor has no register_types function");
}

bool is_worker_start(int argc, char** argv) { return argc >= 4 && std::strcmp(argv[1], "--sgn-worker") == 0; }

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto at = text.find(separator);
    if (at != 0) out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

bool g_load_plugins_called = false;

}  // namespace

PluginError::PluginError(std::string file, const std::string& message)
    : Error(fmt::format("plugin '{}': {}", file, message)), file_(std::move(file)) {}

LoadedPlugin load_plugin(const std::string& file, Registry& registry) {
  std::error_code error;
  const fs::path canonical = fs::canonical(file, error);
  if (error) throw PluginError(file, error.message());
  const std::string path = canonical.string();
  for (const auto& previous : loaded()) {
    const bool here = std::all_of(previous.types.begin(), previous.types.end(), [&](const std::string& type) {
      return registry.contains(type) && registry.origin(type) == path;
    });
    if (previous.file == path && here) return previous;
  }
  check_trusted(file, canonical);

  ::dlerror();
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* reason = ::dlerror();
    const std::string why = reason ? reason : "unknown error";
    const bool not_elf =
        why.find("invalid ELF header") != std::string::npos || why.find("file too short") != std::string::npos;
    throw PluginError(file,
                      fmt::format("{} (dlopen: {})", not_elf ? "is not a shared library" : "cannot be loaded", why));
  }
  const sgn_plugin_descriptor* descriptor = nullptr;
  try {
    descriptor = entry_point(file, handle)();
    check_descriptor(file, descriptor);
  } catch (...) {
    ::dlclose(handle);  // none of its code was kept
    throw;
  }

  // From here the plugin's code may sit in registry entries: it stays loaded.
  Registry scratch;
  try {
    descriptor->register_types(&scratch);
  } catch (const std::exception& e) {
    throw PluginError(file, fmt::format("registering its element types failed: {}", e.what()));
  }
  LoadedPlugin plugin{path, scratch.names()};
  if (plugin.types.empty()) throw PluginError(file, "registers no element type");
  for (const auto& type : plugin.types) {
    if (!registry.contains(type)) continue;
    const std::string& other = registry.origin(type);
    throw PluginError(file, fmt::format("registers element type '{}', which is already registered ({}): not loaded",
                                        type, other.empty() ? "built in" : fmt::format("by plugin '{}'", other)));
  }
  registry.merge(std::move(scratch), path);
  logger("plugins")->debug("loaded plugin '{}': {}", path, fmt::join(plugin.types, ", "));
  loaded().push_back(plugin);
  return plugin;
}

std::vector<std::string> plugin_files(const std::string& paths, bool required) {
  std::vector<std::string> out;
  for (const auto& entry : split(paths, ':')) {
    std::error_code error;
    const auto status = fs::status(entry, error);
    if (!fs::exists(status)) {
      if (required) throw PluginError(entry, "no such file or directory");
      logger("plugins")->debug("plugin path entry '{}' does not exist: skipped", entry);
      continue;
    }
    if (!fs::is_directory(status)) {
      out.push_back(entry);
      continue;
    }
    std::vector<std::string> found;
    for (fs::directory_iterator it(entry, error), end; !error && it != end; it.increment(error)) {
      if (it->path().extension() == ".so") found.push_back(it->path().string());
    }
    if (error) throw PluginError(entry, fmt::format("reading the directory: {}", error.message()));
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::string installed_plugin_dir() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (error) return "";
  return (exe.parent_path().parent_path() / SGN_INSTALL_LIBDIR / "sgn" / "plugins").string();
}

std::vector<std::string> plugin_path_options(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--plugin-path" && i + 1 < argc) {
      out.emplace_back(argv[++i]);
    } else if (arg.starts_with("--plugin-path=")) {
      out.emplace_back(arg.substr(std::string_view("--plugin-path=").size()));
    }
  }
  return out;
}

std::vector<LoadedPlugin> load_plugins(int argc, char** argv, Registry& registry) {
  g_load_plugins_called = true;
  std::vector<std::string> files;
  const bool worker = is_worker_start(argc, argv);
  if (worker) {
    const char* list = std::getenv(kWorkerFilesVariable);
    files = split(list ? list : "", '\n');
  } else {
    for (const auto& paths : plugin_path_options(argc, argv)) {
      for (auto& f : plugin_files(paths, true)) files.push_back(std::move(f));
    }
    if (const char* env = std::getenv(kPluginPathVariable)) {
      for (auto& f : plugin_files(env, false)) files.push_back(std::move(f));
    }
    for (auto& f : plugin_files(installed_plugin_dir(), false)) files.push_back(std::move(f));
  }
  std::vector<LoadedPlugin> out;
  for (const auto& file : files) {
    LoadedPlugin plugin = load_plugin(file, registry);
    const bool seen = std::any_of(out.begin(), out.end(), [&](const LoadedPlugin& p) { return p.file == plugin.file; });
    if (!seen) out.push_back(std::move(plugin));
  }
  if (!worker) {
    std::string list;
    for (const auto& p : out) list += (list.empty() ? "" : "\n") + p.file;
    // Before any thread or worker exists: workers load exactly these (see plugins.hpp).
    if (list.empty()) {
      ::unsetenv(kWorkerFilesVariable);
    } else {
      ::setenv(kWorkerFilesVariable, list.c_str(), 1);
    }
  }
  return out;
}

const std::vector<LoadedPlugin>& loaded_plugins() { return loaded(); }

bool load_plugins_called() noexcept { return g_load_plugins_called; }

}  // namespace sgn
