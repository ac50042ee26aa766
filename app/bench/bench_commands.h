// File: app/bench/bench_commands.h
// The `sluice bench` subcommand: flag registration on the CLI's App and dispatch (`sluice sweep`,
// app/sweep, reuses the interface and the generator flags). app/main.cpp calls
// AddBenchCommands(app) before parsing and, after parsing, `if (bench->Parsed()) return
// bench->Run(stop);`. Main thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <memory>

namespace sluice::bench {

class BenchCommands {
 public:
  virtual ~BenchCommands() = default;
  /// True when this subcommand was the parsed one.
  [[nodiscard]] virtual bool Parsed() const = 0;
  /// Runs the parsed subcommand; returns the process exit code (0 ok, 1 run failed, 2 bad
  /// configuration, 130 interrupted). `stop` counts SIGINT/SIGTERM.
  virtual int Run(const std::atomic<int>* stop) = 0;
};

/// Registers `bench` on `app`; the returned object holds its option values and must outlive
/// parsing.
std::unique_ptr<BenchCommands> AddBenchCommands(CLI::App& app);

struct BenchOptions;
/// The generator's flags (--input, --seed, ...), shared by bench and sweep.
void AddGeneratorOptions(CLI::App& app, BenchOptions& o);

}  // namespace sluice::bench
