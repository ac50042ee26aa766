// File: app/common/log_options.cpp
#include "app/common/log_options.h"

#include "engine/log.h"

namespace sluice::cli {

void AddLogOptions(CLI::App& app, LogOptions& o) {
  app.add_option("--log-level", o.level, "Least severe log lines written: error | warn | info | debug")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
      ->capture_default_str();
  app.add_option("--log-format", o.format,
                 "Log lines on stderr: text (timestamp, level, message) | json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

void ApplyLogOptions(const LogOptions& o, bool debug) {
  // The values were checked by CLI11 (IsMember); a config file's value that is not one of them
  // keeps the default.
  if (StatusOr<LogLevel> level = ParseLogLevel(o.level); level.ok()) SetLogLevel(*level);
  if (StatusOr<LogFormat> format = ParseLogFormat(o.format); format.ok()) SetLogFormat(*format);
  if (debug) SetLogLevel(LogLevel::kDebug);
}

}  // namespace sluice::cli
