// File: app/common/log_options.h
// --log-level and --log-format, the two flags every command that logs carries (run, demo,
// bench, sweep, schema check, schema ddl), and applying them to the logging facility
// (engine/log.h) once the command line is parsed. main.cpp registers them on each command.
// Thread-safety: main thread, before any other thread starts.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace sluice::cli {

struct LogOptions {
  std::string level = "info";   ///< --log-level: error | warn | info | debug
  std::string format = "text";  ///< --log-format: text | json
};

/// Adds --log-level and --log-format to `app`, bound to `o`.
void AddLogOptions(CLI::App& app, LogOptions& o);

/// Sets the facility's level and format from `o`; `debug` (a command's --debug) raises the
/// level to debug.
void ApplyLogOptions(const LogOptions& o, bool debug);

}  // namespace sluice::cli
