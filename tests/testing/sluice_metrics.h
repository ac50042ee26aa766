// File: tests/testing/sluice_metrics.h
// Reading a running `sluice run` child's Prometheus endpoint (--metrics-addr), so that a test
// waits for what the member itself reports instead of sleeping:
//  - MetricsArgs(): the flags that serve /metrics on a free loopback port;
//  - MetricsUrl(): the URL the child printed on stderr once it listens;
//  - FetchedPartitions(): the partitions of a topic the member fetches (its assignment), from its
//    sluice_partition_assigned samples (librdkafka statistics, refreshed every 5 s by sluice);
//  - WaitForAssignment(): polls until a member reports a given number of partitions.
// Used by tests/faults (scale-out: a takeover has happened before the next member is stopped).
// Thread-safety: plain functions; WaitForAssignment reads the child's stderr file, which any
// thread may do while the child runs.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"

namespace sluice::testing {

/// `--metrics-addr 127.0.0.1:0`.
std::vector<std::string> MetricsArgs();

/// http://127.0.0.1:PORT/metrics from the child's stderr line
/// "sluice: metrics at http://127.0.0.1:0/metrics (port PORT)"; empty until it was printed.
std::string MetricsUrl(const std::string& stderr_text);

/// Partition numbers of `topic` in the sluice_partition_assigned samples of a /metrics text.
std::set<int> FetchedPartitions(const std::string& metrics_text, const std::string& topic);

/// Polls `child`'s /metrics until it reports `count` partitions of `topic`, at most `timeout`.
/// Empty on success, else what never happened (with the last partition set seen).
std::string WaitForAssignment(Subprocess& child, const std::string& topic, size_t count,
                              std::chrono::milliseconds timeout);

}  // namespace sluice::testing
