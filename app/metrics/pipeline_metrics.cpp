#include "app/metrics/pipeline_metrics.h"

#include <algorithm>
#include <atomic>
#include <cmath>

namespace sluice::metrics {
namespace {

double Load(const std::atomic<uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }

}  // namespace

const std::vector<double>& RequestDurationBucketsSeconds() {
  // From a loopback emulator (sub-ms) to a slow cloud endpoint near the 30 s request timeout.
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,      2.5,   5,    10,    30,   60};
  return kBuckets;
}

HistogramSnapshot SnapshotSeconds(const stages::LatencyHistogram& h, const std::vector<double>& bounds_s) {
  HistogramSnapshot out;
  uint64_t prev = 0;
  for (double le : bounds_s) {
    const uint64_t n = std::max(prev, h.CountAtOrBelow(static_cast<uint64_t>(std::llround(le * 1e6))));
    out.buckets.emplace_back(le, n);
    prev = n;
  }
  out.count = std::max(prev, h.Count());
  out.sum = static_cast<double>(h.Sum()) / 1e6;
  return out;
}

std::string RenderPipelineMetrics(const PipelineCounters& c, uint64_t in_flight_records, const SenderStats& s,
                                  const stages::LatencyHistogram* request_latency,
                                  const std::vector<PartitionLagSample>& lag, int concurrency_limit) {
  PrometheusWriter w;
  w.Counter("sluice_records_consumed_total", "Records read from the source.", Load(c.consumed));
  w.Counter("sluice_records_delivered_total", "Records the sink acknowledged.", Load(c.delivered));
  w.Counter("sluice_records_rejected_total", "Records rejected permanently (by the schema map or the sink).",
            Load(c.rejected));
  w.Counter("sluice_records_dead_lettered_total", "Rejected records written to the dead-letter destination.",
            Load(c.dead_lettered));
  w.Counter("sluice_bytes_consumed_total", "Payload bytes read from the source.", Load(c.consumed_bytes));
  w.Counter("sluice_bytes_sent_total", "Request body bytes (as sent, after compression) of requests the sink accepted.",
            static_cast<double>(s.bytes_sent));
  w.Counter("sluice_batches_total", "Batches handed to the sender.", Load(c.batches));
  w.Counter("sluice_requests_total", "HTTP requests completed (any outcome).", static_cast<double>(s.requests));

  w.Family("sluice_retries_total", MetricType::kCounter, "Requests resent after a transient failure, by cause.");
  w.Sample("sluice_retries_total", {{"class", "throttled"}}, static_cast<double>(s.retries_throttled));
  w.Sample("sluice_retries_total", {{"class", "server"}}, static_cast<double>(s.retries_server));
  w.Sample("sluice_retries_total", {{"class", "network"}}, static_cast<double>(s.retries_network));

  w.Counter("sluice_auth_refreshes_total", "Authentication tokens fetched.", static_cast<double>(s.auth_refreshes));
  w.Counter("sluice_batch_splits_total", "Batches split after a 413 or a whole-request 400.",
            static_cast<double>(s.splits));
  w.Gauge("sluice_in_flight_records", "Records read but not yet acknowledged.", static_cast<double>(in_flight_records));
  w.Gauge("sluice_in_flight_requests", "HTTP requests on the wire now.", static_cast<double>(s.in_flight));
  if (concurrency_limit >= 0) {
    w.Gauge("sluice_concurrency_limit", "Requests the sender may have in flight now (fixed or adaptive).",
            static_cast<double>(concurrency_limit));
  }
  if (request_latency != nullptr) {
    w.Histogram("sluice_request_duration_seconds", "HTTP request duration, send to answer.",
                SnapshotSeconds(*request_latency, RequestDurationBucketsSeconds()));
  }
  // Every partition this member fetches, whether or not its lag is known yet (a partition with
  // nothing committed so far has no lag): what the member owns after a rebalance.
  if (!lag.empty()) {
    w.Family("sluice_partition_assigned", MetricType::kGauge,
             "1 for each partition this member is assigned and fetches (librdkafka statistics).");
    for (const PartitionLagSample& p : lag) {
      w.Sample("sluice_partition_assigned", {{"topic", p.topic}, {"partition", std::to_string(p.partition)}}, 1.0);
    }
  }
  bool any_lag = false;
  for (const PartitionLagSample& p : lag) {
    if (p.lag < 0) continue;
    if (!any_lag) {
      w.Family("sluice_consumer_lag", MetricType::kGauge,
               "Messages between the committed offset and the high watermark, per partition.");
      any_lag = true;
    }
    w.Sample("sluice_consumer_lag", {{"topic", p.topic}, {"partition", std::to_string(p.partition)}},
             static_cast<double>(p.lag));
  }
  return w.Take();
}

}  // namespace sluice::metrics
