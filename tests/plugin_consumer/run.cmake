# ctest driver: install the sgn build tree into a private prefix, build the plugin of
# examples/plugin against that prefix only, and run it from the installed stock
# sgn-launch (process placement) and sgn-inspect: from --plugin-path, SGN_PLUGIN_PATH
# and the installed plugin directory. Runs inside support/private_shm.sh (RouDi).
#   cmake -DSGN_BINARY_DIR=... -DPLUGIN_SOURCE_DIR=... -DWORK_DIR=... [-DGENERATOR=...]
#         [-DCXX_COMPILER=...] [-DBUILD_TYPE=...] [-DSANITIZE=ON] -P run.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT PLUGIN_SOURCE_DIR)
  message(FATAL_ERROR "run.cmake: PLUGIN_SOURCE_DIR is not set")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/../support/consumer_build.cmake)
sgn_build_consumer(${PLUGIN_SOURCE_DIR} CMAKE_MODULE_LINKER_FLAGS -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix)

set(launch ${prefix}/bin/sgn-launch)
set(inspect ${prefix}/bin/sgn-inspect)
set(plugin ${build}/libsgn_level.so)
set(pipeline "sine-source frames=200 channels=4 amplitude=0.5 noise=0 ! level name=lv placement=process ! level-sink max-peak=0.6 placement=process")

# Runs a command, fails unless it exits with `expected` and its output holds `needle`.
function(expect expected needle)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code STREQUAL expected)
    message(FATAL_ERROR "${ARGN}\nexited with ${code}, not ${expected}:\n${out}\n${err}")
  endif()
  string(FIND "${out}${err}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${ARGN}\nprinted no '${needle}':\n${out}\n${err}")
  endif()
  message(STATUS "ok: ${ARGN}")
endfunction()

# --plugin-path, in process placement: the workers load the plugin too.
expect(0 "\"frames_in\": 200" ${launch} -q --json - --plugin-path ${build} ${pipeline})
# A peak over the limit fails the run, named.
expect(1 "exceeds max-peak 0.1" ${launch} -q --plugin-path ${plugin}
       "sine-source frames=5 amplitude=0.5 ! level placement=process ! level-sink max-peak=0.1")
# SGN_PLUGIN_PATH.
expect(0 "Origin: plugin ${plugin}" ${CMAKE_COMMAND} -E env SGN_PLUGIN_PATH=${build} ${inspect} level)
expect(0 "channels[].peak" ${CMAKE_COMMAND} -E env SGN_PLUGIN_PATH=${build} ${inspect} level-sink)
# The installed plugin directory: installed beside sgn, found with no option at all.
execute_process(COMMAND ${CMAKE_COMMAND} --install ${build} --config ${BUILD_TYPE} COMMAND_ERROR_IS_FATAL ANY)
expect(0 "Origin: plugin ${prefix}/lib/sgn/plugins/libsgn_level.so" ${inspect} level)
expect(0 "\"frames_in\": 200" ${launch} -q --json - ${pipeline})
