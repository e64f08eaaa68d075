#pragma once
/// Loading element plugins (shared libraries made with SGN_PLUGIN, sgn/plugin.hpp)
/// into a registry: what sgn-launch and sgn-inspect do before anything else.
///
/// Where plugins come from, in this order: every `--plugin-path PATHS` of the command
/// line, then `$SGN_PLUGIN_PATH`, then the installed plugin directory
/// (`<prefix>/lib/sgn/plugins`, found from the program's own location). PATHS is a
/// colon-separated list; each entry is a plugin file or a directory whose `*.so` files
/// are loaded in name order. An entry of --plugin-path that does not exist is an
/// error; one of SGN_PLUGIN_PATH, or a missing installed directory, is skipped.
///
/// Worker processes are the program started again without its command line: the
/// main process hands them the exact files it loaded (environment variable
/// SGN_PLUGIN_FILES), and a worker start loads those and only those, so its registry
/// is the main process's whatever the search path holds by then.

#include <sgn/error.hpp>
#include <sgn/registry.hpp>
#include <string>
#include <vector>

namespace sgn {

/// A plugin that cannot be loaded (not a shared library, no entry point, another
/// plugin ABI, sgn version or C++ library ABI, a type name already registered, a file
/// or directory another user could have written). what() names the file.
class PluginError : public Error {
 public:
  PluginError(std::string file, const std::string& message);
  const std::string& file() const noexcept { return file_; }

 private:
  std::string file_;
};

/// A loaded plugin: its file (canonical path) and the element types it registered.
struct LoadedPlugin {
  std::string file;
  std::vector<std::string> types;
};

/// Loads the plugin `file` and registers its types in `registry` (their origin is the
/// file, Registry::origin()). Refused, before the library is opened: a file that is not
/// a regular file, is writable by group or others, or is owned by neither root nor this
/// user, and a directory on its path that another user could write (unless sticky, as
/// /tmp). Then: dlopen (RTLD_NOW | RTLD_LOCAL), the entry point sgn_plugin_v1, its
/// versions, and the registration into a scratch registry, merged only if none of its
/// names exists here. Throws PluginError naming the file; nothing is registered then.
/// A plugin stays loaded for the program's life. Loading the same file twice does
/// nothing the second time.
LoadedPlugin load_plugin(const std::string& file, Registry& registry);

/// The plugin files `paths` (colon-separated) names, in order, without duplicates.
/// A missing entry throws PluginError if `required`, else is skipped.
std::vector<std::string> plugin_files(const std::string& paths, bool required);

/// `<prefix>/lib/sgn/plugins` of the running program (`<prefix>/bin/PROGRAM`).
std::string installed_plugin_dir();

/// Every `--plugin-path PATHS` (or `--plugin-path=PATHS`) before a `--` in argv.
std::vector<std::string> plugin_path_options(int argc, char** argv);

/// What sgn-launch and sgn-inspect call first, before sgn::init: loads every plugin
/// of the search path (in a worker start: exactly the main process's) into `registry`
/// and records the files for the workers. Throws PluginError.
std::vector<LoadedPlugin> load_plugins(int argc, char** argv, Registry& registry);

/// Every plugin load_plugin() loaded in this process.
const std::vector<LoadedPlugin>& loaded_plugins();

/// True once load_plugins() ran: launch_main and inspect_main refuse --plugin-path
/// in a program that does not load plugins.
bool load_plugins_called() noexcept;

}  // namespace sgn
