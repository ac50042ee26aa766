// File: app/config/config_file.h
// --config FILE: the same settings as the flags, in TOML (`batch-size = 500`,
// `topic = ["a", "b"]`, `until-caught-up = true`), at the top level or in a [run] table, plus a
// [kafka] table of librdkafka properties (`"sasl.password" = "@/run/secrets/kafka"`). The file is
// applied first and the command line second, so flags win. Refusals name the key and what is
// wrong; the values of sensitive keys (credentials, headers, URLs) are never printed.
// Main thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace sluice::cli {

/// The value of `--config FILE` / `--config=FILE` in args (after the subcommand), or "".
std::string FindConfigFlag(int argc, char** argv);

/// Parses the TOML file at `path` into `app`'s options (as if they were flags) and returns the
/// [kafka] table's properties (name, value) in file order. Unknown keys and sections are errors
/// naming the key.
[[nodiscard]] StatusOr<std::vector<std::pair<std::string, std::string>>> ApplyConfigFile(const std::string& path,
                                                                                         CLI::App& app);

/// True when a config key's value must not appear in a message: a secret Kafka property, or one
/// of sluice's own settings that may carry a credential (--header, URLs with user:password@).
bool IsSensitiveConfigKey(const std::string& key);

}  // namespace sluice::cli
