# sluice_add_test(name SOURCES a.cpp b.cpp LIBS x y LABELS <labels> [TIMEOUT s])
# Labels (ctest -L / -LE):
#   unit | integration | external | slow   what the test needs and how long it runs;
#   sanitize            run by .ci/sanitizers under ASan+UBSan and TSan (the subset that fits CI);
#   no-tsan             never under TSan (the reason is a comment next to each use);
#   simd-differential   a fast path checked against simdjson On-Demand; .ci/portable runs these
#                       in a build without x86 SIMD flags.
function(sluice_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock Threads::Threads)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "SLUICE_BIN_DIR=${CMAKE_BINARY_DIR}/bin;SLUICE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# sluice_add_bench(name SOURCES ... LIBS ...)
function(sluice_add_bench name)
  cmake_parse_arguments(B "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${B_SOURCES})
  target_link_libraries(${name} PRIVATE ${B_LIBS} benchmark::benchmark Threads::Threads)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
endfunction()
