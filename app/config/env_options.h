// File: app/config/env_options.h
// SLUICE_<FLAG> environment variables for every long flag of every command, as container and
// systemd operators expect: --sink-url is SLUICE_SINK_URL, --batch-size SLUICE_BATCH_SIZE,
// --until-caught-up SLUICE_UNTIL_CAUGHT_UP=true. CLI11 reads a variable only for a flag not on
// the command line, and the --config file is applied before both, so the order is
// flag > environment > file. A repeatable flag takes one value from its variable. The
// secrets (SLUICE_USERNAME, SLUICE_PASSWORD, SLUICE_API_KEY, SLUICE_BEARER_TOKEN) and the
// SLUICE_KAFKA_<PROPERTY> variables are not flags and keep their own readers (secrets.h,
// kafka_properties.h). Called by app/main.cpp before parsing. Main thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace sluice::cli {

/// "sink-url" -> "SLUICE_SINK_URL".
std::string EnvNameForFlag(const std::string& long_name);

/// Gives every long-named option of `app` and of its subcommands (recursively) its SLUICE_<FLAG>
/// variable; --help and --version are left out.
void BindEnvironmentVariables(CLI::App& app);

}  // namespace sluice::cli
