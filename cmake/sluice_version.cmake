# Sets SLUICE_GIT_COMMIT: the source's git commit (12 hex digits) when the source tree is a git
# checkout and git is installed, "unknown" otherwise (a release tarball, a Docker context without
# .git). Taken at configure time; CMake re-runs itself when HEAD moves, so a rebuild after a commit
# or checkout carries the new id. Only the id is recorded: no path of the source tree reaches the
# binary. Used by the app (app/) (sluice --version) and the package's file name.
set(SLUICE_GIT_COMMIT "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE _sluice_commit OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _sluice_git_rc ERROR_QUIET)
  # rev-parse also succeeds inside an unrelated enclosing repository; accept only this tree's own.
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --show-toplevel
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE _sluice_toplevel OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_sluice_toplevel)
    file(REAL_PATH ${_sluice_toplevel} _sluice_toplevel)
  endif()
  file(REAL_PATH ${PROJECT_SOURCE_DIR} _sluice_source_real)
  if(_sluice_git_rc EQUAL 0 AND _sluice_commit MATCHES "^[0-9a-f]+$"
     AND _sluice_toplevel AND _sluice_toplevel STREQUAL _sluice_source_real)
    set(SLUICE_GIT_COMMIT ${_sluice_commit})
    # Re-configure when HEAD or the branch it points at moves (a worktree's .git is a file, so ask
    # git where these live instead of assuming .git/HEAD).
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --symbolic-full-name HEAD
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _sluice_branch
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    foreach(_ref HEAD ${_sluice_branch} packed-refs)
      execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --git-path ${_ref}
        WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _sluice_ref_file
        OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(_sluice_ref_file AND NOT IS_ABSOLUTE ${_sluice_ref_file})
        set(_sluice_ref_file ${PROJECT_SOURCE_DIR}/${_sluice_ref_file})
      endif()
      if(_sluice_ref_file AND EXISTS ${_sluice_ref_file})
        set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_sluice_ref_file})
      endif()
    endforeach()
  endif()
endif()
message(STATUS "sluice ${PROJECT_VERSION}, commit ${SLUICE_GIT_COMMIT}")
