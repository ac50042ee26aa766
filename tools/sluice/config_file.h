// File: tools/sluice/config_file.h
// --config FILE: the same settings as the flags, in TOML (`batch-size = 500`,
// `topic = ["a", "b"]`, `until-caught-up = true`). The file is applied first and the command
// line second, so flags win. Main thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "engine/status.h"

namespace sluice::cli {

/// The value of `--config FILE` / `--config=FILE` in args (after the subcommand), or "".
std::string FindConfigFlag(int argc, char** argv);

/// Parses the TOML file at `path` into `app`'s options (as if they were flags). Unknown keys
/// are errors naming the key.
[[nodiscard]] Status ApplyConfigFile(const std::string& path, CLI::App& app);

}  // namespace sluice::cli
