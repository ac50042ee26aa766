// File: engine/run_summary.h
// RunSummary: the figures of one run, printed at the end and written as JSON by --report
// (app/pipeline_setup/run_report.h adds the members every report shares).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/batch_sender.h"
#include "engine/concurrency_timeline.h"

namespace sluice {

struct RunSummary {
  uint64_t consumed = 0;          ///< records taken from the source
  uint64_t consumed_bytes = 0;    ///< their payload bytes
  uint64_t delivered = 0;         ///< records the sink stored
  uint64_t rejected = 0;          ///< records refused (parse, map or sink)
  uint64_t dead_lettered = 0;     ///< of which written to the dead-letter destination
  uint64_t skipped = 0;           ///< of which logged and skipped (--skip-rejected)
  uint64_t skipped_tombstones = 0;  ///< null values acknowledged unsent (--skip-tombstones); not in `rejected`
  uint64_t batches = 0;           ///< batches sealed
  uint64_t unacknowledged = 0;    ///< in flight when the run ended (0 on success)
  double run_seconds = 0;         ///< whole run, from start to end
  double streaming_seconds = 0;   ///< first record consumed -> last record acknowledged
  double streaming_records_per_s = 0;
  double run_records_per_s = 0;
  double peak_rss_mib = 0;
  SenderStats sender;
  /// The sender's in-flight limit over the run (fixed, or moving with --concurrency auto),
  /// bounded (see concurrency_timeline.h); written as "concurrency_limit": [[t_s, limit], ...].
  std::vector<TimelinePoint> concurrency_limit;
  std::string error;              ///< why the run failed, empty on success

  /// The run's own members as a JSON object (counts, rates, requests, bytes sent). The report
  /// file adds the members `run` and `bench` share (latency, retries, errors, version, times,
  /// settings, error: app/report/report_common.h).
  std::string ToJson() const;
  std::string ToText() const;
};

/// Peak resident set size of this process, in MiB (from /proc/self/status VmHWM).
double PeakRssMib();

}  // namespace sluice
