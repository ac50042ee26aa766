// File: app/pipeline_setup/pipeline_setup.h
// The one way the product builds a pipeline from settings: BuildRun validates every RunOptions
// setting and builds each stage (source, schema map, batcher, sender, dead letters, pipeline);
// ExecuteRun runs it. Shared by `sluice run`, `sluice demo` and `sluice bench` (which swaps the
// source for a generator), so the three measure and run the same stages. Main thread only.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "app/metrics/metrics_server.h"
#include "app/pipeline_setup/end_watching_source.h"
#include "app/pipeline_setup/run_options.h"
#include "app/report/report_common.h"
#include "engine/dead_letter_sink.h"
#include "engine/pipeline.h"
#include "engine/run_summary.h"
#include "engine/status.h"
#include "stages/batcher/micro_batcher.h"
#include "stages/http_sink/http_sender.h"

namespace sluice::cli {

/// Everything one run owns, in construction order (destroyed in reverse).
struct BuiltRun {
  PipelineConfig pipeline_config;
  std::unique_ptr<Source> source;
  /// What the pipeline reads from: `source`, watched for reaching its end (exit status).
  std::unique_ptr<EndWatchingSource> source_watch;
  /// --until-caught-up, file: or stdin: the run has an end, and stopping before it is exit 3.
  bool bounded = false;
  std::unique_ptr<RecordTransform> transform;
  std::shared_ptr<const SinkFormat> format;
  std::unique_ptr<stages::MicroBatcher> batcher;
  std::unique_ptr<stages::HttpSender> sender;
  std::unique_ptr<DeadLetterSink> dead_letters;
  std::unique_ptr<Pipeline> pipeline;
  std::string report_file;
  /// The effective settings, redacted, for the report (filled when report_file is set).
  report::Settings report_settings;
  std::string metrics_addr;
  /// Set around pipeline->Run(), for /ready (read on the metrics server's thread).
  std::atomic<bool> pipeline_started{false};
  std::atomic<bool> pipeline_ended{false};
  /// Declared last so it stops first: its render callback reads the pipeline and the sender.
  std::unique_ptr<metrics::MetricsServer> metrics;
};


/// Validates `o` and builds every stage. Nothing is read and no request is sent yet.
[[nodiscard]] StatusOr<std::shared_ptr<BuiltRun>> BuildRun(const RunOptions& o);

/// Runs a built pipeline until done; fills `summary`. `stop` counts SIGINT/SIGTERM.
[[nodiscard]] Status ExecuteRun(BuiltRun& run, const std::atomic<int>* stop, RunSummary& summary);

}  // namespace sluice::cli
