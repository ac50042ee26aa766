// File: app/pipeline_setup/pipeline_setup.cpp
// BuildRun: RunOptions -> every stage, validated before anything is read; ExecuteRun: one run of
// a built pipeline (metrics endpoint, report file). Main thread only.
#include "app/pipeline_setup/pipeline_setup.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "app/config/kafka_properties.h"
#include "app/config/secrets.h"
#include "app/metrics/pipeline_metrics.h"
#include "app/pipeline_setup/assignment_strategy.h"
#include "app/pipeline_setup/duration.h"
#include "app/pipeline_setup/effective_settings.h"
#include "app/pipeline_setup/metrics_endpoint.h"
#include "app/pipeline_setup/run_report.h"
#include "app/pipeline_setup/timeline_sampler.h"
#include "engine/log.h"
#include "stages/batcher/micro_batcher.h"
#include "stages/dead_letter/make_dead_letter_sink.h"
#include "stages/file_source/file_source.h"
#include "stages/http_sink/http_sender.h"
#include "stages/kafka_source/kafka_source.h"
#include "stages/schema_map/ingest_schema.h"
#include "stages/schema_map/schema_map_transform.h"
#include "stages/sink_formats/make_sink_format.h"

namespace sluice::cli {
namespace {

Status ParseRateLimit(const std::string& text, double& records_per_s, double& bytes_per_s) {
  // "1000/s,1MB/s": a plain count is records, a size with a unit is bytes.
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part.size() < 3 || part.substr(part.size() - 2) != "/s")
      return InvalidArgument("--rate-limit: \"" + part + "\" must end in /s (e.g. 1000/s or 1MB/s)");
    const std::string amount = part.substr(0, part.size() - 2);
    const bool has_unit = amount.find_first_of("bBkKmMgG") != std::string::npos;
    uint64_t v = 0;
    std::string err = ParseBytes(amount, v);
    if (!err.empty()) return InvalidArgument("--rate-limit: " + err);
    (has_unit ? bytes_per_s : records_per_s) = static_cast<double>(v);
  }
  return Status::Ok();
}

StatusOr<stages::AuthMode> ChooseAuth(const RunOptions& o, stages::HttpSinkConfig& http) {
  auto secret = [](const char* name, std::string& into) -> Status {
    StatusOr<std::string> v = ReadSecret(name);
    if (!v.ok()) return v.status();
    into = *v;
    return Status::Ok();
  };
  SLUICE_RETURN_IF_ERROR(secret("SLUICE_USERNAME", http.username));
  SLUICE_RETURN_IF_ERROR(secret("SLUICE_PASSWORD", http.password));
  SLUICE_RETURN_IF_ERROR(secret("SLUICE_API_KEY", http.api_key));
  SLUICE_RETURN_IF_ERROR(secret("SLUICE_BEARER_TOKEN", http.bearer_token));
  std::string mode = o.auth;
  if (mode == "auto") {
    if (o.sink_format == "clickhouse") mode = http.username.empty() ? "none" : "clickhouse";
    else if (!http.api_key.empty()) mode = "api-key";
    else if (!o.auth_url.empty()) mode = "featurebase";
    else if (!http.bearer_token.empty()) mode = "bearer";
    else if (!http.username.empty()) mode = "basic";
    else mode = "none";
  }
  if (mode == "none") return stages::AuthMode::kNone;
  if (mode == "featurebase") {
    if (o.auth_url.empty()) return InvalidArgument("--auth featurebase needs --auth-url");
    if (http.username.empty() || http.password.empty())
      return InvalidArgument("--auth featurebase needs SLUICE_USERNAME and SLUICE_PASSWORD (or *_FILE) in the environment");
    return stages::AuthMode::kFeatureBaseToken;
  }
  if (mode == "api-key") {
    if (http.api_key.empty()) return InvalidArgument("--auth api-key needs SLUICE_API_KEY (or SLUICE_API_KEY_FILE)");
    return stages::AuthMode::kApiKey;
  }
  if (mode == "bearer") {
    if (http.bearer_token.empty())
      return InvalidArgument("--auth bearer needs SLUICE_BEARER_TOKEN (or SLUICE_BEARER_TOKEN_FILE)");
    return stages::AuthMode::kBearer;
  }
  if (mode == "basic") return stages::AuthMode::kBasic;
  return stages::AuthMode::kClickHouseHeaders;
}

// The stages validate their config structs and name the fields; the operator typed flags. Each
// field a flag sets is named as that flag (whole words only: "max_retries" is not inside
// "--max-retries-x").
Status NameFlags(const Status& s) {
  static const std::pair<std::string_view, std::string_view> kFlagOf[] = {
      {"backoff_initial_ms", "--backoff-initial-ms"},
      {"backoff_max_ms", "--backoff-max-ms"},
      {"chunk_max_records", "--chunk-records"},
      {"drain_timeout_ms", "--drain-timeout-ms"},
      {"initial_concurrency", "--initial-concurrency"},
      {"max_concurrency", "--max-concurrency"},
      {"max_inflight_records", "--max-inflight-records"},
      {"max_retries", "--max-retries"},
      {"request_timeout_ms", "--request-timeout-ms"},
      {"retry_after_max_ms", "--retry-after-max-ms"},
      {"worker_threads", "--threads"},
      {"clickhouse_table", "--clickhouse-table"},
  };
  if (s.ok()) return s;
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
  std::string m = s.message();
  for (const auto& [field, flag] : kFlagOf) {
    for (size_t at = m.find(field); at != std::string::npos; at = m.find(field, at)) {
      const size_t end = at + field.size();
      if ((at > 0 && is_word(m[at - 1])) || (end < m.size() && is_word(m[end]))) {
        at = end;
        continue;
      }
      m.replace(at, field.size(), flag);
      at += flag.size();
    }
  }
  return Status(s.code(), std::move(m));
}

StatusOr<std::shared_ptr<BuiltRun>> BuildRunUnnamed(const RunOptions& o);

}  // namespace

StatusOr<std::shared_ptr<BuiltRun>> BuildRun(const RunOptions& o) {
  StatusOr<std::shared_ptr<BuiltRun>> run = BuildRunUnnamed(o);
  if (!run.ok()) return NameFlags(run.status());
  return run;
}

namespace {

StatusOr<std::shared_ptr<BuiltRun>> BuildRunUnnamed(const RunOptions& o) {
  auto run = std::make_shared<BuiltRun>();
  run->report_file = o.report_file;
  if (!o.report_file.empty()) run->report_settings = EffectiveSettings(o);
  if (!o.metrics_addr.empty()) {
    std::string host;
    uint16_t port = 0;
    SLUICE_RETURN_IF_ERROR(metrics::ParseHostPort(o.metrics_addr, &host, &port));
    run->metrics_addr = o.metrics_addr;
  }

  // --- Budgets: one memory budget feeds librdkafka's prefetch and the engine's in-flight bound.
  uint64_t memory_budget = 0;
  if (std::string e = ParseBytes(o.memory_budget, memory_budget); !e.empty()) return InvalidArgument("--memory-budget: " + e);
  if (memory_budget < (64ull << 20)) return InvalidArgument("--memory-budget must be at least 64MiB");
  uint64_t batch_bytes = 0;
  if (std::string e = ParseBytes(o.batch_bytes, batch_bytes); !e.empty()) return InvalidArgument("--batch-bytes: " + e);

  PipelineConfig& pc = run->pipeline_config;
  pc.chunk_max_records = o.chunk_records;
  pc.drain_timeout_ms = o.drain_timeout_ms;
  pc.worker_threads = o.threads;
  pc.skip_rejected = o.skip_rejected;
  pc.max_reject_ratio = o.max_reject_ratio;
  pc.reject_window = o.reject_window;
  pc.skip_tombstones = o.skip_tombstones;
  pc.ordered = o.ordered;
  pc.progress = !o.quiet;
  if (std::string e = ParseDurationMs(o.progress_interval, pc.progress_interval_ms); !e.empty())
    return InvalidArgument("--progress-interval: " + e);
  // In-flight records hold their payload about three times (input, output, batch body).
  pc.max_inflight_bytes = memory_budget / 4 / 3;
  pc.max_inflight_records = o.max_inflight_records ? o.max_inflight_records
                                                   : std::max<uint64_t>(pc.max_inflight_bytes / 256, pc.chunk_max_records);
  pc.tick_interval_ms = std::max(1, std::min(50, o.linger_ms / 4 + 1));
  SLUICE_RETURN_IF_ERROR(Validate(pc));

  // --- Schema and transform.
  if (o.schema_file.empty()) return InvalidArgument("--schema is required (the ingest schema, e.g. examples/flights/schema.json)");
  StatusOr<stages::IngestSchema> schema = stages::IngestSchema::Load(o.schema_file, o.table_file);
  if (!schema.ok()) return schema.status();
  stages::SchemaMapConfig map_config;
  const std::string payload = o.payload.empty() ? (o.sink_format == "featurebase" ? "raw" : "mapped") : o.payload;
  StatusOr<stages::PayloadMode> mode = stages::ParsePayloadMode(payload);
  if (!mode.ok()) return mode.status();
  map_config.payload_mode = *mode;
  uint64_t max_record_bytes = 0;
  if (std::string e = ParseBytes(o.max_record_bytes, max_record_bytes); !e.empty())
    return InvalidArgument("--max-record-bytes: " + e);
  map_config.max_record_bytes = static_cast<size_t>(max_record_bytes);
  if (o.sink_format == "clickhouse" && map_config.payload_mode != stages::PayloadMode::kMapped)
    return InvalidArgument("--sink-format clickhouse takes mapped columns only (--payload mapped)");
  auto transform = stages::SchemaMapTransform::Create(map_config, std::move(*schema));
  if (!transform.ok()) return transform.status();
  run->transform = std::move(*transform);

  // --- Sink format, batcher, sender.
  if (o.sink_format == "clickhouse" && o.clickhouse_table.empty())
    return InvalidArgument("--sink-format clickhouse needs --clickhouse-table (the target table, e.g. db.flights)");
  stages::SinkFormatConfig fc;
  fc.name = o.sink_format;
  fc.clickhouse_table = o.clickhouse_table;
  fc.retry_on.insert(o.retry_on.begin(), o.retry_on.end());
  fc.no_retry_on.insert(o.no_retry_on.begin(), o.no_retry_on.end());
  auto format = stages::MakeSinkFormat(fc);
  if (!format.ok()) return format.status();
  run->format = std::shared_ptr<const SinkFormat>(std::move(*format));

  stages::BatchPolicy policy;
  policy.max_records = o.batch_size;
  policy.max_bytes = batch_bytes;
  policy.linger_ms = o.linger_ms;
  policy.per_stream = o.ordered;
  auto batcher = stages::MicroBatcher::Create(policy, run->format);
  if (!batcher.ok()) return batcher.status();
  run->batcher = std::move(*batcher);

  stages::HttpSinkConfig http;
  if (o.sink_urls.empty()) return InvalidArgument("--sink-url is required");
  for (const auto& u : o.sink_urls) http.urls.push_back(stages::RequestUrl(fc, u));
  if (o.concurrency == "auto") {
    http.adaptive_concurrency = true;
    http.min_concurrency = 1;
    http.max_concurrency = o.max_concurrency;
    http.initial_concurrency = o.initial_concurrency;
    http.log_concurrency_changes = o.debug;
  } else {
    try {
      http.concurrency = std::stoi(o.concurrency);
    } catch (...) {
      return InvalidArgument("--concurrency must be a number or auto, got \"" + o.concurrency + "\"");
    }
  }
  http.auth_url = o.auth_url;
  http.extra_headers = o.headers;
  http.ca_file = o.ca_file;
  // Answers held at once (per-record error lists, slow sinks with many requests in flight)
  // share the memory budget: an eighth of it, besides the in-flight records' quarter and
  // librdkafka's half.
  http.max_answer_bytes_total = static_cast<size_t>(memory_budget / 8);
  http.insecure = o.insecure;
  http.request_timeout_ms = o.request_timeout_ms;
  http.max_retries = o.max_retries;
  int64_t sink_unavailable_timeout_ms = 0;
  if (std::string e =
          ParseDuration("--sink-unavailable-timeout", o.sink_unavailable_timeout, sink_unavailable_timeout_ms);
      !e.empty()) {
    return InvalidArgument(e);
  }
  http.unavailable_timeout_ms = static_cast<int>(sink_unavailable_timeout_ms);
  http.backoff_initial_ms = o.backoff_initial_ms;
  http.backoff_max_ms = o.backoff_max_ms;
  http.retry_after_max_ms = o.retry_after_max_ms;
  http.gzip = o.compress == "gzip";
  http.transport = o.http_client == "curl" ? stages::HttpTransport::kCurl : stages::HttpTransport::kAuto;
  if (!o.rate_limit.empty())
    SLUICE_RETURN_IF_ERROR(ParseRateLimit(o.rate_limit, http.rate_limit_records_per_s, http.rate_limit_bytes_per_s));
  StatusOr<stages::AuthMode> auth = ChooseAuth(o, http);
  if (!auth.ok()) return auth.status();
  http.auth = *auth;
  if (o.insecure) Log(LogLevel::kWarn, "http_sink", "--insecure: the sink's TLS certificate is not verified");
  auto sender = stages::HttpSender::Create(http, run->format);
  if (!sender.ok()) return sender.status();
  run->sender = std::move(*sender);

  // --- Kafka properties ([kafka] table, SLUICE_KAFKA_*, -X), for the consumer and a Kafka DLQ.
  // Checked against librdkafka here, once, so that no later error can quote a value.
  std::vector<std::pair<std::string, std::string>> props;
  if (o.source == "kafka" || o.dlq.rfind("kafka:", 0) == 0) {
    StatusOr<std::vector<KafkaProperty>> resolved =
        ResolveKafkaProperties(o.config_kafka_properties, ProcessEnvironment(), o.kafka_props);
    if (!resolved.ok()) return resolved.status();
    SLUICE_RETURN_IF_ERROR(CheckKafkaProperties(*resolved));
    if (o.debug && !resolved->empty()) {
      Log(LogLevel::kInfo, "kafka",
          "Kafka properties (secret values redacted):\n" + DescribeKafkaProperties(*resolved));
    }
    for (KafkaProperty& p : *resolved) props.emplace_back(std::move(p.name), std::move(p.value));
  }

  // --- Source.
  if (o.source == "kafka") {
    stages::KafkaSourceConfig kc;
    kc.brokers = o.brokers;
    kc.topics = o.topics;
    kc.group_id = o.group;
    kc.auto_offset_reset = o.auto_offset_reset;
    kc.properties = props;
    SLUICE_RETURN_IF_ERROR(TakeAssignmentStrategy(&kc.properties, &kc.cooperative));
    kc.until_caught_up = o.until_caught_up;
    kc.memory_budget_bytes = static_cast<int64_t>(memory_budget / 2);
    kc.commit_interval_ms = o.commit_interval_ms;
    int64_t startup_timeout_ms = 0;
    if (std::string e = ParseDuration("--startup-timeout", o.startup_timeout, startup_timeout_ms); !e.empty()) {
      return InvalidArgument(e);
    }
    kc.startup_timeout_ms = static_cast<int>(startup_timeout_ms);
    // sluice_consumer_lag comes from librdkafka statistics.
    if (!o.metrics_addr.empty() && kc.statistics_interval_ms == 0) kc.statistics_interval_ms = 5000;
    if (kc.brokers.empty()) return InvalidArgument("--brokers is required for the kafka source");
    if (kc.topics.empty()) return InvalidArgument("--topic is required for the kafka source");
    auto source = stages::KafkaSource::Create(kc);
    if (!source.ok()) return source.status();
    run->source = std::move(*source);
  } else if (o.source == "stdin" || o.source.rfind("file:", 0) == 0) {
    stages::FileSourceConfig fsc;
    fsc.path = o.source == "stdin" ? "-" : o.source.substr(5);
    auto source = stages::FileSource::Create(fsc);
    if (!source.ok()) return source.status();
    run->source = std::move(*source);
  } else {
    return InvalidArgument("--source must be kafka, file:PATH or stdin, got \"" + o.source + "\"");
  }

  // --- Dead letters.
  if (!o.dlq.empty()) {
    auto dlq = stages::MakeDeadLetterSink(o.dlq, o.brokers, props);
    if (!dlq.ok()) return dlq.status();
    run->dead_letters = std::move(*dlq);
  }

  run->source_watch = std::make_unique<EndWatchingSource>(run->source.get());
  run->bounded = o.source != "kafka" || o.until_caught_up;
  PipelineParts parts{run->source_watch.get(), run->transform.get(), run->batcher.get(), run->sender.get(),
                      run->dead_letters.get()};
  auto pipeline = Pipeline::Create(pc, parts);
  if (!pipeline.ok()) return pipeline.status();
  run->pipeline = std::move(*pipeline);
  return run;
}

}  // namespace

Status ExecuteRun(BuiltRun& run, const std::atomic<int>* stop, RunSummary& summary) {
  if (!run.metrics_addr.empty()) {
    auto server = StartMetricsEndpoint(run, stop);
    if (!server.ok()) return server.status();
    run.metrics = std::move(*server);
    Logf(LogLevel::kInfo, "metrics", "metrics at http://%s/metrics (port %u)", run.metrics_addr.c_str(),
         static_cast<unsigned>(run.metrics->port()));
  }
  ConcurrencyTimeline timeline;
  TimelineSampler sampler(
      [&run](int& limit, uint64_t& delivered) {
        limit = run.sender->CurrentConcurrencyLimit();
        delivered = run.pipeline->counters().delivered.load(std::memory_order_relaxed);
      },
      &timeline);
  const auto started_at = std::chrono::system_clock::now();
  run.pipeline_started.store(true, std::memory_order_relaxed);
  Status s = run.pipeline->Run(stop);
  run.pipeline_ended.store(true, std::memory_order_relaxed);
  sampler.Stop();
  summary = run.pipeline->Summary();
  summary.concurrency_limit = timeline.Points();
  if (run.dead_letters) {
    Status f = run.dead_letters->Flush();
    if (s.ok() && !f.ok()) s = f.WithContext("flushing dead letters");
  }
  if (!run.report_file.empty()) {
    std::ofstream out(run.report_file);
    out << RunReportJson(summary, run.sender->RequestLatency(), started_at, std::chrono::system_clock::now(),
                         run.report_settings);
    if (!out) Logf(LogLevel::kError, "run", "cannot write the report to %s", run.report_file.c_str());
  }
  return s;
}

}  // namespace sluice::cli
