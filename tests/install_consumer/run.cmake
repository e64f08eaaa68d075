# ctest driver: install the sgn build tree into a private prefix, then configure,
# build and run the consumer project against that prefix only.
#   cmake -DSGN_BINARY_DIR=... -DCONSUMER_SOURCE_DIR=... -DWORK_DIR=... [-DGENERATOR=...]
#         [-DCXX_COMPILER=...] [-DBUILD_TYPE=...] [-DSANITIZE=ON] -P run.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT CONSUMER_SOURCE_DIR)
  message(FATAL_ERROR "run.cmake: CONSUMER_SOURCE_DIR is not set")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/../support/consumer_build.cmake)
sgn_build_consumer(${CONSUMER_SOURCE_DIR} CMAKE_EXE_LINKER_FLAGS)
execute_process(COMMAND ${build}/sgn_install_consumer COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
