// File: app/run/run_command.h
// `sluice run`: builds the pipeline (app/pipeline_setup), runs it, prints the summary, writes
// --report and maps the way the run ended to an exit status (exit_status.h). Also the SIGINT/
// SIGTERM handlers every long-running command installs. Main thread only.
#pragma once

#include <atomic>

#include "app/pipeline_setup/pipeline_setup.h"

namespace sluice::cli {

/// `sluice run`: build, run, print the summary, write --report; returns the exit code.
int RunCommand(const RunOptions& o, const std::atomic<int>* stop);

/// Installs SIGINT/SIGTERM handlers that count into the returned flag.
std::atomic<int>* InstallStopSignals();

/// The signal number of the last SIGINT/SIGTERM received (0: none yet).
int LastStopSignal();

}  // namespace sluice::cli
