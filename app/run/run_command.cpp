// File: app/run/run_command.cpp
#include "app/run/run_command.h"

#include <csignal>
#include <cstdio>

#include "app/run/exit_status.h"
#include "engine/log.h"
#include "stages/kafka_source/kafka_source.h"

namespace sluice::cli {
namespace {

std::atomic<int> g_stop_requests{0};
std::atomic<int> g_last_stop_signal{0};

void OnStopSignal(int signal_number) {
  g_last_stop_signal.store(signal_number, std::memory_order_relaxed);
  g_stop_requests.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

std::atomic<int>* InstallStopSignals() {
  struct sigaction sa{};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return &g_stop_requests;
}

int LastStopSignal() { return g_last_stop_signal.load(std::memory_order_relaxed); }

int RunCommand(const RunOptions& o, const std::atomic<int>* stop) {
  StatusOr<std::shared_ptr<BuiltRun>> run = BuildRun(o);
  if (!run.ok()) {
    Log(LogLevel::kError, "run", "configuration error: " + run.status().message());
    return 2;
  }
  RunSummary summary;
  RunEnd end;
  end.status = ExecuteRun(**run, stop, summary);
  end.stop_requests = stop ? stop->load(std::memory_order_relaxed) : 0;
  end.last_signal = LastStopSignal();
  end.bounded = (*run)->bounded;
  end.reached_end = (*run)->source_watch->ReachedEnd();
  end.rejected = summary.rejected;
  end.fail_on_rejects = o.fail_on_rejects;
  // The summary is the run's result: stdout, away from the log. A run that failed before it
  // read anything has no figures worth printing: the error alone says what happened.
  if (end.status.ok() || summary.consumed > 0) {
    RunSummary figures = summary;
    figures.error.clear();  // said once, by the log line below
    std::fputs(figures.ToText().c_str(), stdout);
    std::fflush(stdout);
  }
  const int code = ExitStatusFor(end);
  if (!end.status.ok()) {
    const bool stopped = end.status.code() == StatusCode::kCancelled;
    Log(LogLevel::kError, "run", (stopped ? "stopped: " : "run failed: ") + end.status.message());
  } else if (code == kExitStoppedBeforeEnd) {
    Logf(LogLevel::kWarn, "run",
         "stopped by a signal before the end of the input; what was delivered is committed, a new run "
         "continues from there (exit status %d)",
         code);
  } else if (summary.rejected > 0) {
    // The last line: a run that refused records must not read like a clean one.
    std::string what = std::to_string(summary.rejected) + " record" + (summary.rejected == 1 ? "" : "s") + " rejected";
    if (summary.dead_lettered > 0) what += ", " + std::to_string(summary.dead_lettered) + " dead-lettered to " + o.dlq;
    if (summary.skipped > 0) what += ", " + std::to_string(summary.skipped) + " skipped (--skip-rejected: lost)";
    Logf(LogLevel::kWarn, "run", "done with rejects: %s (exit status %d%s)", what.c_str(), code,
         code == kExitRejected ? ", --fail-on-rejects" : "");
  } else if (const auto* kafka = dynamic_cast<const stages::KafkaSource*>((*run)->source.get())) {
    // An --until-caught-up run that read nothing says why, so "consumed 0" is not a puzzle.
    const std::string& note = kafka->NothingToReadNote();
    for (size_t at = 0; at < note.size();) {
      const size_t nl = note.find('\n', at);
      Log(LogLevel::kInfo, "run", note.substr(at, nl - at));
      at = nl == std::string::npos ? note.size() : nl + 1;
    }
  }
  return code;
}

}  // namespace sluice::cli
