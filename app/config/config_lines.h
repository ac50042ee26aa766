// File: app/config/config_lines.h
// A line map of a --config TOML file, made before CLI11 reads it: CLI11's items carry no line
// numbers, and its reader accepts lines that are not TOML at all. ScanConfigLines checks the
// shape of every line (a [section], a `key = value`, a comment or a blank; arrays and strings
// closed) and records where each key is, so every refusal can say "line 4". Used by
// ApplyConfigFile (config_file.cpp). Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "engine/status.h"

namespace sluice::cli {

/// One `key = value` line: its 1-based number, the [section] it is in ("" at the top) and the
/// key as written, quotes removed.
struct ConfigKeyLine {
  int line = 0;
  std::string section;
  std::string key;
};

/// Every key line of `text`, or InvalidArgument "line N: ..." for the first line that is not
/// TOML sluice can read. The message never quotes the line (it may hold a secret).
[[nodiscard]] StatusOr<std::vector<ConfigKeyLine>> ScanConfigLines(const std::string& text);

/// The line of `key` in `section`, 0 when absent (the first occurrence wins).
int LineOfKey(const std::vector<ConfigKeyLine>& lines, const std::string& section, const std::string& key);

}  // namespace sluice::cli
