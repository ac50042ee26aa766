// File: app/metrics/run_extra_metrics.h
// The families of a `sluice run` scrape beyond the pipeline's counters (pipeline_metrics.h):
// sluice_http_requests_total{code} (data requests by the HTTP status of their answer, code
// "none" when no answer came), sluice_build_info and the standard process_* families
// (process_metrics.h). app/pipeline_setup appends this text to RenderPipelineMetrics().
// Thread-safety: a pure function of its argument (the caller samples /proc and the sender).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "app/metrics/process_metrics.h"
#include "app/metrics/prometheus_writer.h"

namespace sluice::metrics {

struct RunExtras {
  std::vector<std::pair<int, uint64_t>> requests_by_status;  ///< (status, count); 0 = no answer
  Labels build_info;                                         ///< version, commit, library versions
  ProcessSample process;
};

std::string RenderRunExtraMetrics(const RunExtras& extras);

}  // namespace sluice::metrics
