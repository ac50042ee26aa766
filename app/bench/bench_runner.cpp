// How a bench runs: BuildRun() makes the same stages `sluice run` would (schema map, batcher,
// HttpSender with the same auth and TLS settings) from a placeholder file source; the pipeline
// is then rebuilt around a GeneratorSource instead, and, in open loop, an OpenLoopSender that
// stamps each batch with its scheduled time. A watcher thread resets the latency histograms and
// snapshots the counters when the warm-up ends; the figures are the differences at the end.
#include "app/bench/bench_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <thread>

#include "app/bench/batch_pool.h"
#include "app/bench/batch_replayer.h"
#include "app/bench/open_loop_sender.h"
#include "app/common/install_layout.h"
#include "app/pipeline_setup/effective_settings.h"
#include "app/pipeline_setup/pipeline_setup.h"
#include "engine/json_string.h"
#include "engine/latency_histogram.h"
#include "stages/generator_source/flight_generator.h"
#include "stages/generator_source/generator_source.h"

namespace sluice::bench {
namespace {

using Clock = std::chrono::steady_clock;

LatencyFigures Figures(const stages::LatencyHistogram& h) {
  LatencyFigures f;
  f.count = h.Count();
  f.p50_ms = static_cast<double>(h.Percentile(50)) / 1000.0;
  f.p90_ms = static_cast<double>(h.Percentile(90)) / 1000.0;
  f.p99_ms = static_cast<double>(h.Percentile(99)) / 1000.0;
  f.p999_ms = static_cast<double>(h.Percentile(99.9)) / 1000.0;
  f.max_ms = static_cast<double>(h.Max()) / 1000.0;
  return f;
}

std::string Num(double v, int decimals = 3) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string LatencyJson(const LatencyFigures& f) {
  return "{\"count\": " + std::to_string(f.count) + ", \"p50_ms\": " + Num(f.p50_ms) + ", \"p90_ms\": " +
         Num(f.p90_ms) + ", \"p99_ms\": " + Num(f.p99_ms) + ", \"p999_ms\": " + Num(f.p999_ms) +
         ", \"max_ms\": " + Num(f.max_ms) + "}";
}

std::string Quoted(const std::string& s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

/// Requests the bench must be able to keep in flight: the fixed concurrency, or with
/// --concurrency auto the adaptive limit's upper bound (the controller decides below it).
int ConcurrencyOf(const cli::RunOptions& o) {
  if (o.concurrency == "auto") return std::max(1, o.max_concurrency);
  try {
    return std::max(1, std::stoi(o.concurrency));
  } catch (...) {
    return 1;
  }
}

}  // namespace

bool ParseSeconds(const std::string& text, double& seconds) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !(v >= 0) || !std::isfinite(v)) return false;
  const std::string unit(end);
  if (unit.empty() || unit == "s") seconds = v;
  else if (unit == "ms") seconds = v / 1000.0;
  else if (unit == "m" || unit == "min") seconds = v * 60.0;
  else return false;
  return true;
}

double TargetRecordsPerSecond(const BenchOptions& o) {
  if (o.rate <= 0) return 0;
  return o.rate_unit == "requests" ? o.rate * static_cast<double>(o.run.batch_size) : o.rate;
}

std::string BenchResult::ToJson() const {
  std::string j = "{\n";
  j += "  \"mode\": " + Quoted(mode) + ",\n";
  j += "  \"batch_size\": " + std::to_string(batch_size) + ",\n";
  j += "  \"concurrency\": " + std::to_string(concurrency) + ",\n";
  j += std::string("  \"adaptive_concurrency\": ") + (adaptive_concurrency ? "true" : "false") + ",\n";
  j += "  \"payload\": " + Quoted(payload) + ",\n";
  j += "  \"compress\": " + Quoted(compress) + ",\n";
  j += "  \"sink_format\": " + Quoted(sink_format) + ",\n";
  j += "  \"prebuilt_batches\": " + std::to_string(prebuilt_batches) + ",\n";
  j += "  \"target_records_per_s\": " + Num(target_records_per_s) + ",\n";
  j += "  \"warmup_s\": " + Num(warmup_s) + ",\n";
  j += std::string("  \"warmup_completed\": ") + (warmup_completed ? "true" : "false") + ",\n";
  j += "  \"measured_s\": " + Num(measured_s) + ",\n";
  j += "  \"records\": " + std::to_string(records) + ",\n";
  j += "  \"bytes\": " + std::to_string(bytes) + ",\n";
  j += "  \"requests\": " + std::to_string(requests) + ",\n";
  j += "  \"records_per_s\": " + Num(records_per_s) + ",\n";
  j += "  \"mb_per_s\": " + Num(mb_per_s) + ",\n";
  j += "  \"requests_per_s\": " + Num(requests_per_s) + ",\n";
  j += "  \"latency\": " + LatencyJson(latency) + ",\n";
  j += "  \"latency_measured_from\": " + Quoted(mode == "open" ? "intended send time" : "request send") + ",\n";
  j += "  \"backlog_records\": " + std::to_string(backlog_records) + ",\n";
  j += std::string("  \"cut_short\": ") + (cut_short ? "true" : "false") + ",\n";
  // Seconds from the start of the clock (warm-up included), so the ramp shows.
  j += "  \"concurrency_limit\": " + LimitSeriesJson(timeline) + ",\n";
  j += "  \"records_per_s_series\": " + ThroughputSeriesJson(timeline) + "\n}\n";
  return report::WithCommonMembers(std::move(j), Common());
}

report::ReportCommon BenchResult::Common() const {
  // The request latency (send -> answer) is the service latency in both modes; the headline
  // "latency" above is the bench's own (from the intended send time in open loop).
  report::ReportCommon c;
  c.started_at = started_at;
  c.ended_at = ended_at;
  c.request_latency_ms = {service_latency.count,  service_latency.p50_ms,  service_latency.p90_ms,
                          service_latency.p99_ms, service_latency.p999_ms, service_latency.max_ms};
  c.retries = {retries, retries_throttled, retries_server, retries_network};
  c.rejected_records = rejected_records;
  c.fatal = fatal != 0;
  c.error = error;
  c.settings = settings;
  return c;
}

std::string BenchResult::ToText() const {
  char buf[1024];
  std::string t;
  if (mode == "open") {
    std::snprintf(buf, sizeof(buf), "open loop at %.0f records/s", target_records_per_s);
  } else {
    std::snprintf(buf, sizeof(buf), "closed loop");
  }
  t += std::string("sluice bench: ") + buf + ", " + sink_format + " sink, batch " + std::to_string(batch_size) +
       ", concurrency " + (adaptive_concurrency ? "auto (limit at the end " + std::to_string(concurrency) + ")" : std::to_string(concurrency)) + ", payload " + payload + ", compress " + compress +
       (prebuilt_batches > 0 ? ", replaying " + std::to_string(prebuilt_batches) + " prebuilt bodies" : "") + "\n";
  std::snprintf(buf, sizeof(buf), "  measured %.2f s%s\n", measured_s,
                warmup_completed ? (" after " + Num(warmup_s, 2) + " s warm-up").c_str()
                                 : " (the run ended inside the warm-up: whole run measured)");
  t += buf;
  std::snprintf(buf, sizeof(buf), "  throughput  %.0f records/s  %.2f MB/s  %.1f requests/s  (%llu records)\n",
                records_per_s, mb_per_s, requests_per_s, static_cast<unsigned long long>(records));
  t += buf;
  auto line = [&](const char* name, const LatencyFigures& f) {
    std::snprintf(buf, sizeof(buf), "  %-11s p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms  (%llu samples)\n",
                  name, f.p50_ms, f.p90_ms, f.p99_ms, f.p999_ms, f.max_ms, static_cast<unsigned long long>(f.count));
    t += buf;
  };
  if (mode == "open") {
    line("latency", latency);
    t += "              (from each batch's intended send time: includes queueing)\n";
    line("service", service_latency);
  } else {
    line("latency", latency);
  }
  std::snprintf(buf, sizeof(buf),
                "  errors      rejected records %llu, fatal %llu; retries %llu (throttled %llu, server %llu, "
                "network %llu)\n",
                static_cast<unsigned long long>(rejected_records), static_cast<unsigned long long>(fatal),
                static_cast<unsigned long long>(retries), static_cast<unsigned long long>(retries_throttled),
                static_cast<unsigned long long>(retries_server), static_cast<unsigned long long>(retries_network));
  t += buf;
  if (cut_short) t += "  the run was cut short at its safety deadline: the sink could not keep up\n";
  if (!error.empty()) t += "  error: " + error + "\n";
  return t;
}

namespace {

/// What the watcher and the result read from whichever driver runs the bench (the pipeline
/// with a generator, or the replayer of prebuilt bodies).
struct Probe {
  std::function<Clock::time_point()> start_time;  ///< epoch until the clock started
  std::function<void(uint64_t& delivered, uint64_t& bytes, uint64_t& rejected)> counts;
  std::function<uint64_t()> backlog_records;
};

struct Mark {
  Clock::time_point at{};
  uint64_t delivered = 0, bytes = 0, rejected = 0;
  SenderStats sender;
};

/// Runs `drive` while a watcher thread forwards signals into `drive_stop`, ends the warm-up
/// (resetting the histograms, snapshotting the counters) and stops a run the sink cannot
/// finish; then fills `result` from the differences.
Status Measure(const BenchOptions& options, const std::atomic<int>* stop, stages::HttpSender& http,
               const Probe& probe, const std::function<Status(const std::atomic<int>*)>& drive, BenchResult& result) {
  const bool open_loop = result.mode == "open";
  const stages::LatencyHistogram& headline = open_loop ? http.OpenLoopLatency() : http.RequestLatency();
  const stages::LatencyHistogram& service = http.RequestLatency();
  std::atomic<int> drive_stop{0};
  std::atomic<bool> done{false};
  std::atomic<bool> warm{false};
  std::atomic<bool> cut{false};
  Mark warm_mark;
  // No warm-up: everything counts from the first record. The watcher would mark a few ms late,
  // after the first fast answers, so it is not asked to.
  const bool no_warmup = options.warmup_s <= 0;
  const SenderStats initial_sender = http.Stats();
  ConcurrencyTimeline timeline;
  auto sample = [&](Clock::time_point start, Clock::time_point now, bool last) {
    uint64_t delivered = 0, bytes = 0, rejected = 0;
    probe.counts(delivered, bytes, rejected);
    const double t = std::chrono::duration<double>(now - start).count();
    if (last) {
      timeline.Add(t, http.CurrentConcurrencyLimit(), delivered);
    } else {
      timeline.MaybeAdd(t, http.CurrentConcurrencyLimit(), delivered);
    }
  };
  std::thread watcher([&] {
    const double planned_s = options.duration_s > 0 ? options.duration_s + options.warmup_s : 0;
    while (!done.load(std::memory_order_acquire)) {
      const int signals = stop ? stop->load(std::memory_order_relaxed) : 0;
      if (signals > drive_stop.load()) drive_stop.store(signals);
      const Clock::time_point start = probe.start_time();
      const auto now = Clock::now();
      if (start != Clock::time_point{}) {
        const double elapsed = std::chrono::duration<double>(now - start).count();
        sample(start, now, false);
        if (!no_warmup && !warm.load() && elapsed >= options.warmup_s) {
          http.ResetLatency();
          warm_mark.at = Clock::now();
          probe.counts(warm_mark.delivered, warm_mark.bytes, warm_mark.rejected);
          warm_mark.sender = http.Stats();
          warm.store(true, std::memory_order_release);
        }
        // A sink far slower than the open-loop rate would make the drain last for ages.
        if (planned_s > 0 && elapsed > std::max(4 * planned_s, planned_s + 30) && drive_stop.load() == 0) {
          cut.store(true);
          drive_stop.store(1);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  Status status = drive(&drive_stop);
  const Clock::time_point ended = Clock::now();
  done.store(true, std::memory_order_release);
  watcher.join();
  if (probe.start_time() != Clock::time_point{}) sample(probe.start_time(), ended, true);
  result.timeline = timeline.Points();

  const SenderStats end_stats = http.Stats();
  Mark from;
  if (no_warmup) {
    from.at = probe.start_time();
    from.sender = initial_sender;
  } else if (warm.load(std::memory_order_acquire)) {
    from = warm_mark;
  } else {
    result.warmup_completed = false;
    from.at = probe.start_time();
    from.sender = initial_sender;
  }
  uint64_t delivered = 0, bytes = 0, rejected = 0;
  probe.counts(delivered, bytes, rejected);
  result.measured_s = std::chrono::duration<double>(ended - from.at).count();
  result.records = delivered - from.delivered;
  result.bytes = bytes - from.bytes;
  result.requests = end_stats.requests - from.sender.requests;
  if (result.measured_s > 0) {
    result.records_per_s = static_cast<double>(result.records) / result.measured_s;
    result.mb_per_s = static_cast<double>(result.bytes) / 1e6 / result.measured_s;
    result.requests_per_s = static_cast<double>(result.requests) / result.measured_s;
  }
  result.latency = Figures(headline);
  result.service_latency = Figures(service);
  result.retries = end_stats.retries - from.sender.retries;
  result.retries_throttled = end_stats.retries_throttled - from.sender.retries_throttled;
  result.retries_server = end_stats.retries_server - from.sender.retries_server;
  result.retries_network = end_stats.retries_network - from.sender.retries_network;
  result.rejected_records = rejected - from.rejected;
  result.fatal = status.ok() || status.code() == StatusCode::kCancelled ? 0 : 1;
  result.backlog_records = probe.backlog_records();
  result.cut_short = cut.load();
  result.error = status.ok() ? "" : status.message();
  return status;
}

}  // namespace

Status RunBench(const BenchOptions& options, const std::atomic<int>* stop, BenchResult& result) {
  const auto started_at = std::chrono::system_clock::now();
  cli::RunOptions o = options.run;
  if (o.schema_file.empty() && options.input == "flights") {
    o.schema_file = tools::FlightsExamplesDir() + "/schema.json";
    if (o.table_file.empty()) o.table_file = tools::FlightsExamplesDir() + "/table.json";
  }
  if (options.input != "flights" && options.input.rfind("file:", 0) != 0)
    return InvalidArgument("--input must be flights or file:PATH, got \"" + options.input + "\"");
  if (options.rate_unit != "records" && options.rate_unit != "requests")
    return InvalidArgument("--rate-unit must be records or requests");
  if (options.duration_s <= 0 && options.records == 0)
    return InvalidArgument("give --duration or --records (an unbounded bench never reports)");
  // The stages come from the same builder as `sluice run`; its placeholder source is replaced.
  report::Settings settings;
  if (!o.report_file.empty()) settings = cli::EffectiveSettings(o, /*sink_only=*/true);
  o.source = "file:/dev/null";
  o.report_file.clear();
  StatusOr<std::shared_ptr<cli::BuiltRun>> built_or = cli::BuildRun(o);
  if (!built_or.ok()) return built_or.status();
  cli::BuiltRun& built = **built_or;
  built.pipeline.reset();

  const double target = TargetRecordsPerSecond(options);
  const bool open_loop = target > 0;
  stages::GeneratorSourceConfig gc;
  gc.ndjson_path = options.input == "flights" ? "" : options.input.substr(5);
  gc.seed = options.seed;
  gc.distinct_records = options.distinct_records;
  gc.records_per_s = target;
  gc.max_records = options.records;
  gc.duration_ms = options.duration_s > 0
                       ? static_cast<int64_t>(std::llround((options.duration_s + options.warmup_s) * 1000.0))
                       : 0;
  stages::HttpSender& http = *built.sender;
  const int concurrency = ConcurrencyOf(o);

  result = BenchResult{};
  result.started_at = started_at;
  result.settings = std::move(settings);
  result.mode = open_loop ? "open" : "closed";
  result.batch_size = o.batch_size;
  result.concurrency = concurrency;
  result.adaptive_concurrency = o.concurrency == "auto";
  result.payload = o.payload.empty() ? (o.sink_format == "featurebase" ? "raw" : "mapped") : o.payload;
  result.compress = o.compress;
  result.sink_format = o.sink_format;
  result.prebuilt_batches = options.prebuilt_batches;
  result.target_records_per_s = target;
  result.warmup_s = options.warmup_s;

  Status status;
  if (options.prebuilt_batches > 0) {
    BatchPoolRequest request;
    request.count = options.prebuilt_batches;
    request.batch_size = o.batch_size;
    request.generator = gc;
    request.pipeline = built.pipeline_config;
    auto pool_or = RenderBatchPool(request, *built.transform, *built.batcher);
    if (!pool_or.ok()) return pool_or.status();
    const std::vector<std::unique_ptr<Batch>> pool = std::move(*pool_or);
    const double records_per_batch = static_cast<double>(pool[0]->records.size());
    ReplayConfig rc;
    rc.concurrency = concurrency;
    rc.batches_per_s = open_loop ? target / records_per_batch : 0;
    rc.duration_s = options.duration_s > 0 ? options.duration_s + options.warmup_s : 0;
    rc.max_batches = options.records > 0
                         ? static_cast<uint64_t>(std::ceil(static_cast<double>(options.records) / records_per_batch))
                         : 0;
    rc.drain_timeout_ms = std::min(built.pipeline_config.drain_timeout_ms, 10000);
    BatchReplayer replayer(&http, &pool, rc);
    Probe probe;
    probe.start_time = [&] { return replayer.StartTime(); };
    probe.counts = [&](uint64_t& delivered, uint64_t& bytes, uint64_t& rejected) {
      const ReplayCounters c = replayer.Counters();
      delivered = c.delivered;
      bytes = c.delivered_bytes;
      rejected = c.rejected;
    };
    probe.backlog_records = [&] {
      return static_cast<uint64_t>(static_cast<double>(replayer.BacklogBatches()) * records_per_batch);
    };
    status = Measure(options, stop, http, probe, [&](const std::atomic<int>* s) { return replayer.Run(s); }, result);
    if (result.adaptive_concurrency) result.concurrency = http.CurrentConcurrencyLimit();
  } else {
    auto generator_or = stages::GeneratorSource::Create(gc);
    if (!generator_or.ok()) return generator_or.status();
    std::unique_ptr<stages::GeneratorSource> generator = std::move(*generator_or);
    OpenLoopSender open_sender(&http, generator.get());
    BatchSender* sender = open_loop ? static_cast<BatchSender*>(&open_sender) : &http;

    PipelineConfig pc = built.pipeline_config;
    if (!open_loop && o.max_inflight_records == 0) {
      // Closed loop: enough records for every connection to have a request on the wire and one
      // waiting, and no more, so the end-of-run drain is short and no queue hides in the sender.
      pc.chunk_max_records = std::min<uint32_t>(pc.chunk_max_records, std::max<uint32_t>(100, o.batch_size));
      pc.max_inflight_records = std::max<uint64_t>(2ull * concurrency * o.batch_size + pc.chunk_max_records,
                                                   2ull * pc.chunk_max_records);
    }
    pc.drain_timeout_ms = std::min(pc.drain_timeout_ms, 10000);
    PipelineParts parts{generator.get(), built.transform.get(), built.batcher.get(), sender, built.dead_letters.get()};
    auto pipeline_or = Pipeline::Create(pc, parts);
    if (!pipeline_or.ok()) return pipeline_or.status();
    std::unique_ptr<Pipeline> pipeline = std::move(*pipeline_or);
    Probe probe;
    probe.start_time = [&] { return generator->StartTime(); };
    probe.counts = [&](uint64_t& delivered, uint64_t& bytes, uint64_t& rejected) {
      const PipelineCounters& c = pipeline->counters();
      delivered = c.delivered.load();
      bytes = c.delivered_bytes.load();
      rejected = c.rejected.load();
    };
    // Read after the run only: the generator's backlog is ingress-thread state.
    probe.backlog_records = [&] { return generator->backlog(); };
    status = Measure(options, stop, http, probe, [&](const std::atomic<int>* s) { return pipeline->Run(s); }, result);
    if (result.adaptive_concurrency) result.concurrency = http.CurrentConcurrencyLimit();
    pipeline.reset();  // before the generator and the senders it points to
  }

  result.ended_at = std::chrono::system_clock::now();
  if (!options.run.report_file.empty()) {
    FILE* f = std::fopen(options.run.report_file.c_str(), "w");
    const std::string json = result.ToJson();
    if (f == nullptr || std::fwrite(json.data(), 1, json.size(), f) != json.size()) {
      if (f) std::fclose(f);
      if (status.ok()) status = Internal("cannot write the report to " + options.run.report_file);
    } else {
      std::fclose(f);
    }
  }
  return status;
}

}  // namespace sluice::bench
