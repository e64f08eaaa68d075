# The packaging tests' common steps (install_consumer, plugin_consumer): install the sgn
# build tree into ${WORK_DIR}/prefix, then configure and build a project against that
# prefix only, checking find_package(sgn) found it there and not a system-wide install.
# Reads SGN_BINARY_DIR, WORK_DIR and the optional GENERATOR, CXX_COMPILER, BUILD_TYPE,
# SANITIZE of the driver's -D arguments; sets `prefix` and `build` for the driver.
#
#   sgn_build_consumer(<source dir> <linker flags variable> [extra configure args...])
#
# <linker flags variable> is the one that links what the project makes (an executable:
# CMAKE_EXE_LINKER_FLAGS; a plugin: CMAKE_MODULE_LINKER_FLAGS): with SANITIZE the
# installed static libraries carry ASan/UBSan, so their runtimes are linked there.
macro(sgn_build_consumer source_dir linker_flags_variable)
  foreach(var SGN_BINARY_DIR WORK_DIR)
    if(NOT ${var})
      message(FATAL_ERROR "run.cmake: ${var} is not set")
    endif()
  endforeach()
  if(NOT BUILD_TYPE)
    set(BUILD_TYPE RelWithDebInfo)
  endif()
  set(prefix ${WORK_DIR}/prefix)
  set(build ${WORK_DIR}/build)
  file(REMOVE_RECURSE ${WORK_DIR})
  file(MAKE_DIRECTORY ${WORK_DIR})
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${SGN_BINARY_DIR} --prefix ${prefix} --config ${BUILD_TYPE}
                  OUTPUT_FILE ${WORK_DIR}/install.log COMMAND_ERROR_IS_FATAL ANY)

  set(configure_args -S ${source_dir} -B ${build} -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
                     -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF ${ARGN})
  if(GENERATOR)
    list(APPEND configure_args -G ${GENERATOR})
  endif()
  if(CXX_COMPILER)
    list(APPEND configure_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
  endif()
  if(SANITIZE)
    list(APPEND configure_args "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer"
                               "-D${linker_flags_variable}=-fsanitize=address,undefined")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} ${configure_args} COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)

  file(STRINGS ${build}/CMakeCache.txt sgn_dir_line REGEX "^sgn_DIR:")
  string(REGEX REPLACE "^sgn_DIR:[A-Z]+=" "" sgn_dir "${sgn_dir_line}")
  file(REAL_PATH "${sgn_dir}" sgn_dir)
  file(REAL_PATH "${prefix}" real_prefix)
  string(FIND "${sgn_dir}" "${real_prefix}/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "find_package(sgn) used '${sgn_dir}', not the test prefix '${real_prefix}'")
  endif()

  execute_process(COMMAND ${CMAKE_COMMAND} --build ${build} --config ${BUILD_TYPE} COMMAND_ECHO STDOUT
                  COMMAND_ERROR_IS_FATAL ANY)
endmacro()
