// File: app/config/config_file.h
// --config FILE: the same settings as the flags, in TOML (`batch-size = 500`,
// `topic = ["a", "b"]`, `until-caught-up = true`), at the top level or in a [run] table, plus a
// [kafka] table of librdkafka properties (`"sasl.password" = "@/run/secrets/kafka"`). The file is
// applied first, then SLUICE_<FLAG> variables, then the command line, so flags win over the
// environment and the environment over the file. Keys may be spelled with '-' or '_'. Relative
// paths in the file are relative to the file's folder (config_paths.h). Refusals name the file,
// the line and the key, suggest the closest known key for an unknown one, and never print the
// values of sensitive keys (credentials, headers, URLs). Main thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace sluice::cli {

/// The value of `--config FILE` / `--config=FILE` in args (after the subcommand), else the
/// SLUICE_CONFIG variable, or "".
std::string FindConfigFlag(int argc, char** argv);

/// Parses the TOML file at `path` into `app`'s options (as if they were flags) and returns the
/// [kafka] table's properties (name, value) in file order. A line that is not TOML, an unknown key
/// or section is an error naming the line ("--config sluice.toml line 4: unknown key
/// \"batch_sise\"; did you mean \"batch-size\"?").
[[nodiscard]] StatusOr<std::vector<std::pair<std::string, std::string>>> ApplyConfigFile(const std::string& path,
                                                                                         CLI::App& app);

/// True when a config key's value must not appear in a message: a secret Kafka property, or one
/// of sluice's own settings that may carry a credential (--header, URLs with user:password@).
bool IsSensitiveConfigKey(const std::string& key);

}  // namespace sluice::cli
