# ctest driver: install the sgn build tree into a private prefix, then configure,
# build and run the consumer project against that prefix only.
#   cmake -DSGN_BINARY_DIR=... -DCONSUMER_SOURCE_DIR=... -DWORK_DIR=... [-DGENERATOR=...]
#         [-DCXX_COMPILER=...] [-DBUILD_TYPE=...] [-DSANITIZE=ON] -P run.cmake
cmake_minimum_required(VERSION 3.20)
foreach(var SGN_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR)
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

set(configure_args -S ${CONSUMER_SOURCE_DIR} -B ${build} -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
                   -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(GENERATOR)
  list(APPEND configure_args -G ${GENERATOR})
endif()
if(CXX_COMPILER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
if(SANITIZE)
  # The installed static libraries were built with ASan/UBSan: link their runtimes.
  list(APPEND configure_args "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer"
                             "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} ${configure_args} COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)

# The package must have come from our prefix, not from a system-wide install.
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
execute_process(COMMAND ${build}/sgn_install_consumer COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
