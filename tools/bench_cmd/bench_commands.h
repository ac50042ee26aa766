// File: tools/bench_cmd/bench_commands.h
// The `bench` and `sluice sweep` subcommands: flag registration on the CLI's App and dispatch.
// tools/sluice/main.cpp calls AddBenchCommands(app) before parsing and, after parsing,
// `if (bench->Parsed()) return bench->Run(stop);`. Main thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <memory>

namespace sluice::bench {

class BenchCommands {
 public:
  virtual ~BenchCommands() = default;
  /// True when `bench` or `sweep` was the parsed subcommand.
  [[nodiscard]] virtual bool Parsed() const = 0;
  /// Runs the parsed subcommand; returns the process exit code (0 ok, 1 run failed, 2 bad
  /// configuration, 130 interrupted). `stop` counts SIGINT/SIGTERM.
  virtual int Run(const std::atomic<int>* stop) = 0;
};

/// Registers `bench` and `sweep` on `app`; the returned object holds their option values and
/// must outlive parsing.
std::unique_ptr<BenchCommands> AddBenchCommands(CLI::App& app);

}  // namespace sluice::bench
