# cmake -DBIN_DIR=<dir of the built programs> -DOUT_DIR=<dir> [-DHELP2MAN=<path>] -P write_help.cmake
# Writes each command's --help text to OUT_DIR/*.txt (installed under share/doc/sluice) and, when
# Debian's help2man is present, the man page sluice.1.gz built from `sluice --help` plus a COMMANDS
# section holding every subcommand's --help. Runs the freshly built binaries, so the texts are
# exactly what the installed programs print.
file(MAKE_DIRECTORY ${OUT_DIR})
# Run the programs by name from PATH, so a usage line that echoes argv[0] shows the name and not
# the build directory.
set(ENV{PATH} "${BIN_DIR}:$ENV{PATH}")
# text file name | program | arguments (space-separated)
set(commands
  "sluice|sluice|--help"
  "sluice-run|sluice|run --help"
  "sluice-demo|sluice|demo --help"
  "sluice-schema-check|sluice|schema check --help"
  "sluice-schema-ddl|sluice|schema ddl --help"
  "sluice-bench|sluice|bench --help"
  "sluice-sweep|sluice|sweep --help"
  "sluice-sink-emulator|sluice-sink-emulator|--help"
  "sluice-mock-kafka|sluice-mock-kafka|--help"
  "sluice-fake-flights|sluice-fake-flights|--help")
set(h2m "[COMMANDS]\n")
foreach(entry ${commands})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 name)
  list(GET parts 1 program)
  list(GET parts 2 arg_text)
  separate_arguments(args UNIX_COMMAND "${arg_text}")
  execute_process(COMMAND ${program} ${args}
    OUTPUT_VARIABLE text RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${program} ${args}: exit ${rc}: ${err}")
  endif()
  file(WRITE ${OUT_DIR}/${name}.txt "${text}")
  if(NOT name STREQUAL "sluice" AND program STREQUAL "sluice")
    # roff: a backslash is \e, and a line starting with . or ' would be a request.
    string(REPLACE "\\" "\\e" text "${text}")
    string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
    string(REPLACE ";" " " shown "${args}")
    string(REPLACE " --help" "" shown "${shown}")
    string(APPEND h2m ".SS \"sluice ${shown}\"\n.nf\n${text}\n.fi\n")
  endif()
endforeach()
if(HELP2MAN)
  string(APPEND h2m "[SEE ALSO]\nThe README, the docs (configuration.md, delivery.md, deploy.md, ...) and the --help texts in /usr/share/doc/sluice.\n")
  file(WRITE ${OUT_DIR}/sluice.h2m "${h2m}")
  # Only the first line of --version ("sluice 0.1.0 (commit ...)") belongs in the page's footer;
  # help2man would put the library lines into the description.
  execute_process(COMMAND sluice --version OUTPUT_VARIABLE version_text)
  string(REGEX MATCH "^sluice ([^\n]*)" _ "${version_text}")
  execute_process(COMMAND ${HELP2MAN} --no-info --section 1 --version-string "sluice ${CMAKE_MATCH_1}"
      --name "move JSON records from Kafka into HTTP ingest endpoints"
      --include ${OUT_DIR}/sluice.h2m --output ${OUT_DIR}/sluice.1 sluice
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "help2man: exit ${rc}: ${err}")
  endif()
  # The man page carries no build path: help2man names the program by its base name.
  execute_process(COMMAND gzip -9nf ${OUT_DIR}/sluice.1 RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip sluice.1: exit ${rc}")
  endif()
endif()
