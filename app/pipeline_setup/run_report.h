// File: app/pipeline_setup/run_report.h
// RunReportJson: the `sluice run --report FILE` document: RunSummary's own members (counts,
// rates, peak RSS; engine/run_summary.h) followed by the members every report shares
// (app/report/report_common.h: version, start and end time, request latency percentiles from
// the sender's histogram, retries by class, errors, effective settings, error). Called by
// ExecuteRun. Main thread, after the pipeline returned.
#pragma once

#include <chrono>
#include <string>

#include "app/report/report_common.h"
#include "engine/latency_histogram.h"
#include "engine/run_summary.h"

namespace sluice::cli {

[[nodiscard]] std::string RunReportJson(const RunSummary& summary, const stages::LatencyHistogram& request_latency,
                                        std::chrono::system_clock::time_point started,
                                        std::chrono::system_clock::time_point ended, const report::Settings& settings);

}  // namespace sluice::cli
