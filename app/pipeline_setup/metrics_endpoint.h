// File: app/pipeline_setup/metrics_endpoint.h
// StartMetricsEndpoint: the `sluice run --metrics-addr` server for one built run: /metrics (the
// pipeline's families, requests by status, build info, process metrics), /healthz and /ready
// (app/metrics/readiness.h says when). Called by ExecuteRun. Main thread; the callbacks it
// installs run on the server thread and read only atomics and relaxed snapshots.
#pragma once

#include <atomic>
#include <memory>

#include "app/metrics/metrics_server.h"
#include "engine/status.h"

namespace sluice::cli {

struct BuiltRun;

/// Starts the server on run.metrics_addr. `stop` counts stop signals (may be null).
[[nodiscard]] StatusOr<std::unique_ptr<metrics::MetricsServer>> StartMetricsEndpoint(const BuiltRun& run,
                                                                                     const std::atomic<int>* stop);

}  // namespace sluice::cli
