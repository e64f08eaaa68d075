# CMake helpers for element plugins and schemas, installed with sgn and included by
# find_package(sgn) (and by sgn's own build):
#
#   sgn_add_schemas(TARGET FILES a.capnp ...)
#       compiles the Cap'n Proto schemas into C++ that TARGET builds; their headers are
#       included as "a.capnp.h" (the path of the .capnp relative to the current source
#       directory, plus .h). A schema imports sgn's own as
#       `using Samples = import "/sgn/schemas/samples.capnp".Samples;`.
#   sgn_add_plugin(NAME SOURCES x.cpp ... [SCHEMAS a.capnp ...] [NO_INSTALL])
#       a plugin library (lib<NAME>.so) that sgn-launch and sgn-inspect load; one of its
#       sources defines SGN_PLUGIN(register_fn) (<sgn/plugin.hpp>). Installed into
#       <prefix>/${SGN_PLUGIN_INSTALL_DIR} (lib/sgn/plugins), the directory the installed
#       sgn-launch searches, unless NO_INSTALL.
#   sgn_enable_plugins(TARGET)
#       for a program of one's own that loads plugins (sgn::load_plugins): it exports the
#       engine's symbols, which plugins use from the program that loads them.

# Where the installed sgn-launch looks for plugins, relative to its prefix (a plugin
# installed with the same CMAKE_INSTALL_PREFIX as sgn is found without options).
if(NOT DEFINED SGN_PLUGIN_INSTALL_DIR)
  set(SGN_PLUGIN_INSTALL_DIR lib/sgn/plugins)
endif()

# Where sgn's schemas can be imported from ("/sgn/schemas/NAME.capnp").
if(NOT DEFINED SGN_SCHEMA_IMPORT_DIR)
  set(SGN_SCHEMA_IMPORT_DIR "${CMAKE_CURRENT_LIST_DIR}/../../../share")
  get_filename_component(SGN_SCHEMA_IMPORT_DIR "${SGN_SCHEMA_IMPORT_DIR}" ABSOLUTE)
endif()

function(sgn_add_schemas target)
  cmake_parse_arguments(arg "" "" "FILES" ${ARGN})
  if(NOT arg_FILES)
    message(FATAL_ERROR "sgn_add_schemas(${target}): no FILES given")
  endif()
  set(CAPNPC_SRC_PREFIX "${CMAKE_CURRENT_SOURCE_DIR}")
  set(CAPNPC_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/${target}_schemas")
  set(CAPNPC_IMPORT_DIRS "${SGN_SCHEMA_IMPORT_DIR}")
  file(MAKE_DIRECTORY "${CAPNPC_OUTPUT_DIR}")
  capnp_generate_cpp(sources headers ${arg_FILES})
  target_sources(${target} PRIVATE ${sources} ${headers})
  target_include_directories(${target} SYSTEM PRIVATE "${CAPNPC_OUTPUT_DIR}")
  target_link_libraries(${target} PRIVATE CapnProto::capnp)
endfunction()

function(sgn_add_plugin name)
  cmake_parse_arguments(arg "NO_INSTALL" "" "SOURCES;SCHEMAS" ${ARGN})
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "sgn_add_plugin(${name}): no SOURCES given")
  endif()
  # A module: the engine's symbols stay undefined here and come from the program that
  # loads it (sgn-launch, sgn-inspect), so plugin and program share one engine.
  add_library(${name} MODULE ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE sgn::plugin_api)
  if(TARGET sgn_schemas)  # inside sgn's own build: the generated headers come first
    add_dependencies(${name} sgn_schemas)
  endif()
  if(arg_SCHEMAS)
    sgn_add_schemas(${name} FILES ${arg_SCHEMAS})
  endif()
  if(NOT arg_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION ${SGN_PLUGIN_INSTALL_DIR})
  endif()
endfunction()

function(sgn_enable_plugins target)
  set_target_properties(${target} PROPERTIES ENABLE_EXPORTS ON)
  # Every object of the engine and the schemas, not only those the program calls: a
  # plugin may call any of them.
  target_link_options(${target} PRIVATE "LINKER:--whole-archive" "$<TARGET_FILE:sgn::schemas>"
                      "$<TARGET_FILE:sgn::engine>" "LINKER:--no-whole-archive")
  target_link_libraries(${target} PRIVATE sgn::launch sgn::engine ${CMAKE_DL_LIBS})
endfunction()
