// File: app/metrics/process_metrics.h
// The process_* families every Prometheus client library exports, under their standard names,
// read from /proc (Linux): process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds;
// and sluice_build_info{version,commit,librdkafka,...} 1. Added to the `sluice run` scrape by
// app/pipeline_setup. Thread-safety: reads /proc on the calling thread; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "app/metrics/prometheus_writer.h"

namespace sluice::metrics {

/// One reading of this process's figures; a field /proc did not give stays empty.
struct ProcessSample {
  std::optional<double> cpu_seconds;  ///< user + system time
  std::optional<double> resident_bytes;
  std::optional<double> virtual_bytes;
  std::optional<double> open_fds;
  std::optional<double> max_fds;             ///< soft limit of open files
  std::optional<double> start_time_seconds;  ///< since the Unix epoch
};

/// Reads /proc/self/stat, /proc/self/fd, /proc/self/limits and /proc/stat (btime).
ProcessSample ReadProcessSample();

/// Writes the process_* families of `s` (those with a value).
void WriteProcessMetrics(PrometheusWriter& w, const ProcessSample& s);

/// sluice_build_info with the version fields as labels and the value 1.
void WriteBuildInfo(PrometheusWriter& w, const Labels& labels);

}  // namespace sluice::metrics
