// File: app/pipeline_setup/run_options.h
// RunOptions: every setting of `sluice run` (and the parts `demo`, `bench` and `sweep` share),
// as the command line and the --config file give them. The flag reference in the README is
// generated from the same descriptions. Plain data; filled on the main thread.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

namespace sluice::cli {

struct RunOptions {
  // Source
  std::string source = "kafka";            ///< kafka | file:PATH | stdin
  std::string brokers;                     ///< --brokers
  std::vector<std::string> topics;         ///< --topic (repeatable)
  std::string group = "sluice";            ///< --group
  std::string auto_offset_reset = "earliest";
  std::vector<std::string> kafka_props;    ///< -X key=value (value "@PATH": read from PATH)
  /// The --config file's [kafka] table (name, value), in file order; not a flag. -X and
  /// SLUICE_KAFKA_* override it (see kafka_properties.h).
  std::vector<std::pair<std::string, std::string>> config_kafka_properties;
  bool until_caught_up = false;
  std::string startup_timeout = "30s";  ///< --startup-timeout: Start -> first assignment (0: off)
  std::string memory_budget = "512MiB";
  int commit_interval_ms = 1000;
  // Schema
  std::string schema_file;
  std::string table_file;
  std::string payload;                     ///< raw | mapped; default depends on the sink format
  std::string max_record_bytes = "1MiB";   ///< larger records are rejected unparsed (0: no limit)
  // Batching
  uint32_t batch_size = 500;
  std::string batch_bytes = "4MiB";
  int linger_ms = 1000;
  // Sink
  std::vector<std::string> sink_urls;
  std::string sink_format = "featurebase";
  std::string clickhouse_table;
  std::string auth = "auto";               ///< auto | none | featurebase | api-key | bearer | basic | clickhouse
  std::string auth_url;
  std::vector<std::string> headers;
  std::string ca_file;
  bool insecure = false;
  std::string concurrency = "8";
  int max_concurrency = 512;  ///< upper bound of --concurrency auto (docs/benchmarking.md: why 512)
  int initial_concurrency = 10;  ///< where --concurrency auto starts (clamped to max_concurrency)
  int request_timeout_ms = 30000;
  int max_retries = -1;
  std::string sink_unavailable_timeout = "0";  ///< --sink-unavailable-timeout (0: retry forever)
  int backoff_initial_ms = 100;
  int backoff_max_ms = 10000;
  int retry_after_max_ms = 60000;         ///< longest pause a Retry-After can impose
  std::vector<int> retry_on;
  std::vector<int> no_retry_on;
  std::string rate_limit;                  ///< e.g. 1000/s,1MB/s
  std::string compress = "none";
  std::string http_client = "auto";       ///< auto | curl (see HttpTransport)
  // Engine
  std::string dlq;                         ///< kafka:TOPIC | file:PATH
  bool skip_rejected = false;
  double max_reject_ratio = 0.5;           ///< --max-reject-ratio (>= 1: off)
  uint64_t reject_window = 1000;           ///< --reject-window: records per judged window
  bool fail_on_rejects = false;            ///< --fail-on-rejects: any rejected record -> exit 5
  bool skip_tombstones = false;            ///< --skip-tombstones: null values acknowledged unsent
  bool ordered = false;                    ///< --ordered: one batch per partition in flight
  int drain_timeout_ms = 30000;
  int threads = 0;
  uint32_t chunk_records = 2000;
  uint64_t max_inflight_records = 0;       ///< 0: derived from the memory budget
  std::string report_file;
  bool quiet = false;                      ///< -q: no progress, neither the terminal line nor the log line
  std::string progress_interval = "10s";   ///< --progress-interval: progress log line period off a terminal
  std::string metrics_addr;                ///< --metrics-addr HOST:PORT; empty = no metrics endpoint
  bool debug = false;                      ///< --debug: extra diagnostics (adaptive limit changes)
};

/// Adds the flags of `run` to a (sub)command, bound to `o`.
void AddRunOptions(CLI::App& app, RunOptions& o);
/// Adds only the sink/schema/batching flags (for bench and sweep).
void AddSinkOptions(CLI::App& app, RunOptions& o);

/// "10s", "500ms", "2m", "5" (seconds) -> milliseconds. Error message on failure (empty = ok).
std::string ParseDurationMs(const std::string& text, int64_t& ms);

/// "512MiB", "4MB", "1000" -> bytes. InvalidArgument-like message on failure (empty = ok).
std::string ParseBytes(const std::string& text, uint64_t& out);

}  // namespace sluice::cli
