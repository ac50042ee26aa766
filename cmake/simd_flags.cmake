# SIMD compile flags for the targets whose speed depends on them, in one place.
#
# simdjson's On-Demand API is compiled inline into its users and picks its kernel at compile
# time from the target flags: with the x86-64 baseline it is the scalar "fallback" kernel
# (about 10x slower). Two flag sets exist:
#   SLUICE_SIMDJSON_FLAGS  AVX2 + BMI + PCLMUL + LZCNT ("haswell" kernel): the parse stages
#                          (json_parse, schema_map) and their tests. SchemaMapTransform::Create()
#                          refuses to run on a CPU without them (SLUICE_SIMDJSON_NEEDS_AVX2).
#   SLUICE_WESTMERE_FLAGS  SSE4.2 + PCLMUL ("westmere" kernel, every x86-64 CPU since 2010):
#                          the sink emulator's ingest validator.
# Both are empty when SLUICE_SIMD is OFF or the target is not x86-64, so a portable build
# carries no x86 flag at all; the code then takes its SSE2-baseline or scalar paths.
#
# Users: sluice_target_simd(<target> HASWELL|WESTMERE) for a whole target,
# sluice_source_simd(<file> HASWELL|WESTMERE) for one source file.
option(SLUICE_SIMD "Compile the parse stages with x86 SIMD flags (OFF: the baseline ISA only)" ON)
set(SLUICE_SIMDJSON_FLAGS "-mavx2;-mbmi;-mpclmul;-mlzcnt" CACHE STRING
    "x86 flags selecting simdjson's On-Demand kernel for the parse stages ('' = portable)")

set(SLUICE_SIMD_X86 OFF)
if(SLUICE_SIMD AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(SLUICE_SIMD_X86 ON)
endif()
if(SLUICE_SIMD_X86)
  set(SLUICE_WESTMERE_FLAGS "-msse4.2;-mpclmul")
else()
  # A normal variable shadows the cache entry for every user below this point.
  set(SLUICE_SIMDJSON_FLAGS "")
  set(SLUICE_WESTMERE_FLAGS "")
endif()
message(STATUS "sluice SIMD flags: parse stages '${SLUICE_SIMDJSON_FLAGS}', emulator '${SLUICE_WESTMERE_FLAGS}'")

function(_sluice_simd_flags kind out)
  if(kind STREQUAL "HASWELL")
    set(${out} "${SLUICE_SIMDJSON_FLAGS}" PARENT_SCOPE)
  elseif(kind STREQUAL "WESTMERE")
    set(${out} "${SLUICE_WESTMERE_FLAGS}" PARENT_SCOPE)
  else()
    message(FATAL_ERROR "SIMD flag set '${kind}' is not HASWELL or WESTMERE")
  endif()
endfunction()

# sluice_target_simd(target HASWELL|WESTMERE [PUBLIC_DEFINE]): the flags as PRIVATE options
# (public headers do not expose simdjson). PUBLIC_DEFINE also exports
# SLUICE_SIMDJSON_NEEDS_AVX2=1 when the HASWELL flags are on, for the run-time CPU check.
function(sluice_target_simd target kind)
  cmake_parse_arguments(S "PUBLIC_DEFINE" "" "" ${ARGN})
  _sluice_simd_flags(${kind} flags)
  if(flags)
    target_compile_options(${target} PRIVATE ${flags})
    if(S_PUBLIC_DEFINE AND kind STREQUAL "HASWELL")
      target_compile_definitions(${target} PUBLIC SLUICE_SIMDJSON_NEEDS_AVX2=1)
    endif()
  endif()
endfunction()

# sluice_source_simd(file HASWELL|WESTMERE): the flags on one source file of the current folder.
function(sluice_source_simd file kind)
  _sluice_simd_flags(${kind} flags)
  if(flags)
    set_source_files_properties(${file} PROPERTIES COMPILE_OPTIONS "${flags}")
  endif()
endfunction()
