#pragma once
/// The entry point of an element plugin: a shared library that sgn-launch and
/// sgn-inspect load (from --plugin-path, SGN_PLUGIN_PATH and the installed plugin
/// directory) and that registers its element types. A plugin's source ends with
///
///     void register_types(sgn::Registry& registry) { registry.add<MyElement>(); }
///     SGN_PLUGIN(register_types)
///
/// and is built with sgn_add_plugin() (find_package(sgn)). The loader checks, before
/// calling anything else of the plugin, that it was built for this plugin ABI, this
/// sgn version and the same C++ standard library ABI; any difference is an error
/// naming the file. The descriptor and the entry point are plain C.

#include "sgn/plugin_abi.hpp"

#ifdef __cplusplus
#include <capnp/common.h>

#include <cstdint>

#include "sgn/registry.hpp"
#else
#include <stdint.h>
#endif

#define SGN_PLUGIN_STR_(x) #x
#define SGN_PLUGIN_STR(x) SGN_PLUGIN_STR_(x)

/* The C++ ABI a plugin shares with the program that loads it: the standard library
   and its string ABI, Cap'n Proto, the pointer size. */
#if defined(_LIBCPP_VERSION)
#define SGN_PLUGIN_STDLIB_TAG "libc++ abi " SGN_PLUGIN_STR(_LIBCPP_ABI_VERSION)
#elif defined(__GLIBCXX__)
#define SGN_PLUGIN_STDLIB_TAG "libstdc++ cxx11-abi " SGN_PLUGIN_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define SGN_PLUGIN_STDLIB_TAG "unknown C++ library"
#endif
#define SGN_PLUGIN_BUILD_TAG \
  SGN_PLUGIN_STDLIB_TAG ", capnp " SGN_PLUGIN_STR(CAPNP_VERSION) ", " SGN_PLUGIN_STR(__SIZEOF_POINTER__) "-byte pointers"

/* The entry point's name: a new plugin ABI gets a new name (sgn_plugin_v2), so an old
   loader never calls a newer plugin. */
#define SGN_PLUGIN_ENTRY_POINT "sgn_plugin_v1"

#ifdef __cplusplus
extern "C" {
#endif

/** What a plugin's entry point returns. */
typedef struct sgn_plugin_descriptor {
  uint32_t abi_version;     /**< SGN_PLUGIN_ABI_VERSION the plugin was built with */
  const char* sgn_version;  /**< SGN_VERSION_STRING the plugin was built with */
  const char* build_tag;    /**< SGN_PLUGIN_BUILD_TAG the plugin was built with */
  /** Registers the plugin's element types in the sgn::Registry `registry` points to. */
  void (*register_types)(void* registry);
} sgn_plugin_descriptor;

/** The one symbol the loader looks up. */
typedef const sgn_plugin_descriptor* (*sgn_plugin_entry_point)(void);

#ifdef __cplusplus
}  // extern "C"

/// Defines the plugin's entry point: `register_fn(sgn::Registry&)` registers its types.
/// Once per plugin, at namespace scope.
#define SGN_PLUGIN(register_fn)                                                                         \
  extern "C" __attribute__((visibility("default"))) const sgn_plugin_descriptor* sgn_plugin_v1(void) { \
    static const sgn_plugin_descriptor descriptor = {                                                  \
        SGN_PLUGIN_ABI_VERSION, SGN_VERSION_STRING, SGN_PLUGIN_BUILD_TAG,                              \
        [](void* registry) { register_fn(*static_cast<::sgn::Registry*>(registry)); }};                \
    return &descriptor;                                                                                \
  }
#endif
