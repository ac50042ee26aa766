#include "app/pipeline_setup/run_options.h"

#include <cctype>
#include <cstdlib>

namespace sluice::cli {

std::string ParseBytes(const std::string& text, uint64_t& out) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) return "not a size: \"" + text + "\"";
  std::string unit(end);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double mul = 1;
  if (unit.empty() || unit == "b") mul = 1;
  else if (unit == "kb") mul = 1e3;
  else if (unit == "mb") mul = 1e6;
  else if (unit == "gb") mul = 1e9;
  else if (unit == "kib" || unit == "k") mul = 1024.0;
  else if (unit == "mib" || unit == "m") mul = 1024.0 * 1024;
  else if (unit == "gib" || unit == "g") mul = 1024.0 * 1024 * 1024;
  else return "unknown size unit in \"" + text + "\" (use B, KB, MB, GB, KiB, MiB, GiB)";
  out = static_cast<uint64_t>(v * mul);
  return "";
}

std::string ParseDurationMs(const std::string& text, int64_t& ms) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !(v >= 0) || v > 1e12) return "not a duration: \"" + text + "\" (e.g. 10s, 500ms, 2m)";
  const std::string unit(end);
  double mul = 0;
  if (unit.empty() || unit == "s")
    mul = 1000;
  else if (unit == "ms")
    mul = 1;
  else if (unit == "m" || unit == "min")
    mul = 60000;
  else
    return "unknown time unit in \"" + text + "\" (use ms, s or m)";
  ms = static_cast<int64_t>(v * mul);
  return "";
}

void AddSinkOptions(CLI::App& app, RunOptions& o) {
  app.add_option("--schema", o.schema_file, "Ingest schema: JSON list of {name, path, type?} (the tutorial's format)")
      ->check(CLI::ExistingFile);
  app.add_option("--table", o.table_file, "Table definition: JSON list of {name, type, scale?}")->check(CLI::ExistingFile);
  app.add_option("--payload", o.payload, "raw: send each original record minified; mapped: a flat object of the "
                 "schema's columns (default: raw for featurebase, mapped otherwise)")
      ->check(CLI::IsMember({"raw", "mapped"}));
  app.add_option("--batch-size", o.batch_size, "Seal a batch at this many records")->capture_default_str();
  app.add_option("--batch-bytes", o.batch_bytes, "Seal a batch before its body exceeds this size")->capture_default_str();
  app.add_option("--linger-ms", o.linger_ms, "Seal a batch when its oldest record waited this long")->capture_default_str();
  app.add_option("--sink-url", o.sink_urls, "Ingest URL (repeatable: batches are spread over them)");
  app.add_option("--sink-format", o.sink_format, "featurebase | clickhouse | ndjson | json-array")
      ->check(CLI::IsMember({"featurebase", "clickhouse", "ndjson", "json-array"}))
      ->capture_default_str();
  app.add_option("--clickhouse-table", o.clickhouse_table, "ClickHouse target table (db.table)");
  app.add_option("--auth", o.auth, "auto | none | featurebase | api-key | bearer | basic | clickhouse; secrets come "
                 "from SLUICE_USERNAME, SLUICE_PASSWORD, SLUICE_API_KEY, SLUICE_BEARER_TOKEN (or *_FILE)")
      ->check(CLI::IsMember({"auto", "none", "featurebase", "api-key", "bearer", "basic", "clickhouse"}))
      ->capture_default_str();
  app.add_option("--auth-url", o.auth_url, "FeatureBase identity endpoint (POST {USERNAME,PASSWORD})");
  app.add_option("--header", o.headers, "Extra request header \"Name: value\" (repeatable)");
  app.add_option("--ca-file", o.ca_file, "CA bundle to verify the sink's TLS certificate")->check(CLI::ExistingFile);
  app.add_flag("--insecure", o.insecure, "Do not verify the sink's TLS certificate (prints a warning)");
  app.add_option("--concurrency", o.concurrency, "Requests in flight (a number, or auto: AIMD on RTT and 429/503)")
      ->capture_default_str();
  app.add_option("--max-concurrency", o.max_concurrency, "Upper bound of --concurrency auto")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--initial-concurrency", o.initial_concurrency,
                 "Limit --concurrency auto starts from before slow start doubles it (clamped to --max-concurrency)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--request-timeout-ms", o.request_timeout_ms,
                 "Whole-request timeout; 3 timeouts or connection failures in a row mark an endpoint unhealthy")
      ->capture_default_str();
  app.add_option("--max-retries", o.max_retries, "Retries per batch before giving up (-1: unbounded)")->capture_default_str();
  app.add_option("--sink-unavailable-timeout", o.sink_unavailable_timeout,
                 "Stop the run (exit 1) once batches waited this long without the sink acknowledging anything "
                 "(refused, hanging, 5xx...); nothing past what it acknowledged is committed. 30s, 2m; "
                 "0: retry forever")
      ->capture_default_str();
  app.add_option("--backoff-initial-ms", o.backoff_initial_ms, "First retry backoff ceiling")->capture_default_str();
  app.add_option("--backoff-max-ms", o.backoff_max_ms,
                 "Largest retry backoff ceiling (also the longest interval between probes of an unhealthy endpoint)")
      ->capture_default_str();
  app.add_option("--retry-after-max-ms", o.retry_after_max_ms,
                 "Longest pause a sink's Retry-After can put on an endpoint; longer values are cut to it and "
                 "pauses over 1 s are logged (the retry backoff is always the floor)")
      ->check(CLI::Range(0, 86400000))
      ->capture_default_str();
  app.add_option("--retry-on", o.retry_on, "HTTP status to always retry (repeatable)");
  app.add_option("--no-retry-on", o.no_retry_on, "HTTP status never to retry: stops the run instead (repeatable)");
  app.add_option("--rate-limit", o.rate_limit, "Client-side limit per endpoint, e.g. 1000/s,1MB/s");
  app.add_option("--compress", o.compress, "Request compression: none | gzip")
      ->check(CLI::IsMember({"none", "gzip"}))
      ->capture_default_str();
  app.add_option("--http-client", o.http_client,
                 "Data request client: auto (plain http:// sinks: sluice's writev HTTP/1.1 client; "
                 "https, proxies, basic auth: libcurl) | curl (libcurl always)")
      ->check(CLI::IsMember({"auto", "curl"}))
      ->capture_default_str();
  app.add_option("--report", o.report_file, "Write the run summary as JSON to this file");
  app.add_flag("-q,--quiet", o.quiet,
               "No progress: neither the terminal status line nor the periodic progress log line");
  app.add_flag("--debug", o.debug, "Diagnostics on stderr (adaptive concurrency limit changes, at most 1/s)");
}

void AddRunOptions(CLI::App& app, RunOptions& o) {
  app.add_option("--metrics-addr", o.metrics_addr,
                 "Serve Prometheus metrics at http://HOST:PORT/metrics, liveness at /healthz and readiness at "
                 "/ready (e.g. 127.0.0.1:9464, or :9464 for every interface)");
  app.add_option("--source", o.source, "kafka | file:PATH (NDJSON, .gz too) | stdin")->capture_default_str();
  app.add_option("--brokers", o.brokers, "Kafka bootstrap brokers HOST:PORT,...");
  app.add_option("--topic", o.topics, "Topic to consume (repeatable)");
  app.add_option("--group", o.group, "Consumer group id")->capture_default_str();
  app.add_option("--auto-offset-reset", o.auto_offset_reset, "earliest | latest, when the group has no offset")
      ->capture_default_str();
  app.add_option("-X", o.kafka_props,
                 "librdkafka property key=value (repeatable; SASL, SSL, ...); key=@PATH reads the value from "
                 "the file PATH. Also SLUICE_KAFKA_<KEY> / SLUICE_KAFKA_<KEY>_FILE in the environment and a "
                 "[kafka] table in --config; -X wins over the environment, which wins over the file");
  app.add_flag("--until-caught-up", o.until_caught_up,
               "Stop once every partition reached the end offset it had when the run started");
  app.add_option("--startup-timeout", o.startup_timeout,
                 "Fail (exit 1) when no partition is assigned within this time: brokers unreachable, "
                 "metadata or group join never completing. 30s, 500ms, 2m; 0: wait forever")
      ->capture_default_str();
  app.add_option("--memory-budget", o.memory_budget, "Memory for prefetch, in-flight records and the sink's answers held at once")->capture_default_str();
  app.add_option("--commit-interval-ms", o.commit_interval_ms, "How often stored offsets are committed")
      ->capture_default_str();
  app.add_option("--dlq", o.dlq, "Dead-letter destination: kafka:TOPIC or file:PATH");
  app.add_flag("--skip-rejected", o.skip_rejected,
               "Without --dlq: log rejected records and go on (they are lost) instead of stopping");
  app.add_option("--max-reject-ratio", o.max_reject_ratio,
                 "Stop the run (exit 1, the records that tripped it uncommitted) once more than this share of "
                 "a --reject-window is rejected; 1 turns it off")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--reject-window", o.reject_window, "Records per window judged by --max-reject-ratio")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app.add_flag("--fail-on-rejects", o.fail_on_rejects,
               "Exit 5 instead of 0 when any record was rejected (dead-lettered or skipped), e.g. to fail a CI job");
  app.add_flag("--skip-tombstones", o.skip_tombstones,
               "Acknowledge records with a null value (Kafka tombstones, common in compacted topics) "
               "without sending or dead-lettering them; they are counted as skipped tombstones");
  app.add_flag("--ordered", o.ordered,
               "Keep each partition's records in offset order at the sink, even across retries "
               "(at most one batch per partition in flight)");
  app.add_option("--drain-timeout-ms", o.drain_timeout_ms, "On SIGINT/SIGTERM, wait this long for in-flight records")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "Worker threads for parse+map (0: one per core)")->capture_default_str();
  app.add_option("--chunk-records", o.chunk_records, "Records per graph message")->capture_default_str();
  app.add_option("--max-record-bytes", o.max_record_bytes,
                 "Reject (dead-letter) records larger than this without parsing them (0: no limit)")
      ->capture_default_str();
  app.add_option("--max-inflight-records", o.max_inflight_records, "Records in flight at most (0: from the budget)");
  app.add_option("--progress-interval", o.progress_interval,
                 "When stderr is not a terminal (systemd, docker, CI): log the progress figures this often "
                 "(e.g. 10s, 500ms; 0: never). On a terminal a status line refreshes instead")
      ->capture_default_str();
  AddSinkOptions(app, o);
}

}  // namespace sluice::cli
