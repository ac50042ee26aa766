// File: app/metrics/pipeline_metrics.h
// RenderPipelineMetrics(): the `sluice run` metric set in Prometheus text format, from the
// pipeline's live counters, the sender's stats and request-latency histogram and the Kafka
// consumer lag. app/run calls it from the MetricsServer's render callback.
// Thread-safety: reads atomics and relaxed snapshots only; call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/batch_sender.h"
#include "engine/pipeline.h"
#include "engine/latency_histogram.h"
#include "app/metrics/prometheus_writer.h"

namespace sluice::metrics {

/// Consumer lag of one partition (the caller converts from the Kafka source's PartitionLag).
struct PartitionLagSample {
  std::string topic;
  int32_t partition = -1;
  int64_t lag = -1;  ///< messages behind the high watermark; negative = unknown (not exported)
};

/// Upper bounds (seconds) of sluice_request_duration_seconds' buckets.
const std::vector<double>& RequestDurationBucketsSeconds();

/// Snapshot of a microsecond LatencyHistogram as a histogram in seconds over `bounds_s`.
/// Cumulative counts are made monotonic and capped by the total even while samples arrive.
HistogramSnapshot SnapshotSeconds(const stages::LatencyHistogram& h, const std::vector<double>& bounds_s);

/// All sluice_* families. `request_latency` may be null (no histogram then);
/// `concurrency_limit` < 0 leaves out sluice_concurrency_limit.
std::string RenderPipelineMetrics(const PipelineCounters& c, uint64_t in_flight_records, const SenderStats& s,
                                  const stages::LatencyHistogram* request_latency,
                                  const std::vector<PartitionLagSample>& lag, int concurrency_limit = -1);

}  // namespace sluice::metrics
