// File: app/pipeline_setup/effective_settings.h
// The settings a run actually used (command line, SLUICE_<FLAG>, --config file and defaults
// already merged into RunOptions), as the JSON reports list them, with every secret left out:
//  - each flag by its name without "--" and its effective value (defaults included);
//  - --header values of credential headers (Authorization, X-API-Key, ...) become "Name: set";
//  - user:password@ in URLs becomes user:set@ (the password never appears);
//  - -X / [kafka] / SLUICE_KAFKA_* properties whose name says secret (password, secret, token,
//    key, jaas, sasl.oauthbearer.*) show "set" (or "@PATH" when read from a file);
//  - SLUICE_KAFKA_* variables appear by name only ("from env");
//  - the sink credentials (SLUICE_USERNAME, SLUICE_PASSWORD, SLUICE_API_KEY,
//    SLUICE_BEARER_TOKEN) appear as "secrets.SLUICE_PASSWORD": "from env" or "from file PATH".
// Used by ExecuteRun and `sluice bench` for report::ReportCommon::settings. Main thread only
// (reads the environment).
#pragma once

#include "app/pipeline_setup/run_options.h"
#include "app/report/report_common.h"

namespace sluice::cli {

/// `o` as report settings. `sink_only`: only the flags AddSinkOptions adds (bench, sweep).
report::Settings EffectiveSettings(const RunOptions& o, bool sink_only = false);

}  // namespace sluice::cli
