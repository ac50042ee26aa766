// File: app/sweep/sweep_commands.h
// The `sluice sweep` subcommand: flag registration on the CLI's App and dispatch. A sweep runs
// `sluice bench` (app/bench) over a grid, so this folder depends on app/bench, never the other
// way. Main thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>

#include "app/bench/bench_commands.h"

namespace sluice::bench {

/// Registers `sweep` on `app`; the returned object holds its option values and must outlive
/// parsing.
std::unique_ptr<BenchCommands> AddSweepCommands(CLI::App& app);

}  // namespace sluice::bench
