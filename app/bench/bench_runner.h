// File: app/bench/bench_runner.h
// `sluice bench` without the command line: BenchOptions (what to send, how fast, how long),
// RunBench (builds the normal pipeline from RunOptions with a GeneratorSource in place of Kafka,
// runs it, measures after the warm-up) and BenchResult (throughput, HDR latency percentiles,
// errors by class, retries; as text and JSON). Main thread only; one bench at a time per call.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "app/pipeline_setup/run_options.h"
#include "app/report/report_common.h"
#include "engine/concurrency_timeline.h"
#include "engine/status.h"

namespace sluice::bench {

struct BenchOptions {
  /// Sink, schema and batching settings, exactly as `sluice run` takes them (--source is
  /// ignored; --concurrency is a number or auto).
  cli::RunOptions run;
  /// "flights" (the tutorial's fake flights) or "file:PATH" (NDJSON lines, cycled).
  std::string input = "flights";
  /// Fake flights: RNG seed.
  uint64_t seed = 42;
  /// Fake flights: distinct records generated up front and cycled.
  uint64_t distinct_records = 50000;
  /// > 0: render this many request bodies through the pipeline before the clock starts and
  /// replay them (like wrk replays one request), so the figure is the sink's and the sender's,
  /// not sluice's parse and map. 0: every record goes through the pipeline while measured.
  uint32_t prebuilt_batches = 0;
  /// Open loop when > 0: the target rate, in `rate_unit` per second. 0: closed loop.
  double rate = 0;
  /// "records" or "requests" (requests/s = records/s divided by the batch size).
  std::string rate_unit = "records";
  /// Measured time after the warm-up, in s (0: until `records` were sent).
  double duration_s = 10;
  /// Stop after this many records, warm-up included (0: no count limit).
  uint64_t records = 0;
  /// Time whose figures are discarded before measuring, in s.
  double warmup_s = 1;
  /// Print a one-line summary per run on stderr.
  bool print_summary = true;
  /// Non-empty: draw the in-flight limit and the throughput against time into this folder
  /// (gnuplot script, data, PNG), from the start of the clock, warm-up included.
  std::string plot_dir;
};

/// Latency percentiles of one histogram, in ms.
struct LatencyFigures {
  uint64_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};

struct BenchResult {
  std::string mode;            ///< "closed" or "open"
  uint32_t batch_size = 0;
  int concurrency = 0;         ///< fixed, or with adaptive_concurrency the limit at the end
  bool adaptive_concurrency = false;  ///< --concurrency auto
  std::string payload;         ///< raw | mapped (effective)
  std::string compress;        ///< none | gzip
  std::string sink_format;
  uint32_t prebuilt_batches = 0;  ///< > 0: bodies rendered up front and replayed
  double target_records_per_s = 0;  ///< open loop only
  double warmup_s = 0;
  bool warmup_completed = true;     ///< false: the run ended inside the warm-up; whole run measured
  double measured_s = 0;       ///< from the end of the warm-up to the end of the run
  uint64_t records = 0;        ///< delivered in the measured window
  uint64_t bytes = 0;          ///< request body bytes that carried them
  uint64_t requests = 0;       ///< HTTP requests completed in the window
  double records_per_s = 0, mb_per_s = 0, requests_per_s = 0;
  /// The headline latency: closed loop = request send -> answer; open loop = intended send
  /// time (schedule) -> final outcome, which includes queueing.
  LatencyFigures latency;
  /// Request send -> answer in both modes (the sink's service time).
  LatencyFigures service_latency;
  uint64_t retries = 0;        ///< requests resent in the window
  uint64_t retries_throttled = 0, retries_server = 0, retries_network = 0;
  uint64_t rejected_records = 0;  ///< records the sink (or the schema map) refused
  uint64_t fatal = 0;             ///< 1 when the run stopped on a fatal error
  uint64_t backlog_records = 0;   ///< open loop: records due but not yet emitted at the end
  bool cut_short = false;         ///< stopped at the safety deadline (sink far too slow)
  std::string error;              ///< why the run failed, empty on success
  /// The in-flight limit and the records delivered, sampled from the start of the clock (the
  /// warm-up included: the ramp of --concurrency auto is the point) to the end of the drain.
  std::vector<TimelinePoint> timeline;
  std::chrono::system_clock::time_point started_at{}, ended_at{};  ///< the whole bench, warm-up included
  report::Settings settings;  ///< effective sink settings, redacted (filled with --report)

  /// errors column of the sweep CSV: rejected records plus fatal stops.
  [[nodiscard]] uint64_t Errors() const { return rejected_records + fatal; }
  /// The report: the bench's own members, then the ones every report shares (report_common.h).
  [[nodiscard]] std::string ToJson() const;
  /// The shared members of this result.
  [[nodiscard]] report::ReportCommon Common() const;
  [[nodiscard]] std::string ToText() const;
};

/// Records/s the generator is paced at for `o` (0 in closed loop).
[[nodiscard]] double TargetRecordsPerSecond(const BenchOptions& o);

/// Parses "10", "10s", "500ms", "2m" into seconds; false on a malformed value.
[[nodiscard]] bool ParseSeconds(const std::string& text, double& seconds);

/// Runs one bench. `stop` counts SIGINT/SIGTERM (1: drain and report, 2: abandon). The result
/// is filled as far as the run got, also when the returned status is an error.
[[nodiscard]] Status RunBench(const BenchOptions& options, const std::atomic<int>* stop, BenchResult& result);

}  // namespace sluice::bench
