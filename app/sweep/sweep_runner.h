// File: app/sweep/sweep_runner.h
// `sluice sweep` without the command line: runs a closed-loop bench for every point of a grid
// (batch size x concurrency [x payload x compression]), writes sweep.csv, gnuplot charts
// (throughput heatmap, p99 against throughput; PNG and SVG, only when gnuplot is installed) and
// a recommendation, optionally as a `sluice run --config` file. Main thread only.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "engine/status.h"
#include "app/bench/bench_runner.h"

namespace sluice::bench {

struct SweepOptions {
  /// Sink, schema, generator settings shared by every point; batch size, concurrency, payload
  /// and compression are overridden per point; rate is ignored (a sweep is closed loop).
  BenchOptions base;
  std::vector<uint32_t> batch_sizes{100, 500, 1000, 5000};
  std::vector<int> concurrencies{1, 2, 4, 8, 16, 32};
  /// Empty: the base's payload only.
  std::vector<std::string> payloads;
  /// Empty: the base's compression only.
  std::vector<std::string> compressions;
  /// Measured time per point, in s.
  double point_duration_s = 2;
  /// Warm-up per point, in s.
  double warmup_s = 0.5;
  /// Output directory (created if missing).
  std::string out_dir = "sweep";
  /// A recommended point's p99 must stay at or under this, in ms (0: no limit).
  double max_p99_ms = 1000;
  /// Points within this fraction of the best throughput count as "as good".
  double within_fraction = 0.05;
  /// Write the recommendation as a `sluice run --config` file here (empty: do not).
  std::string write_config;
};

struct SweepPoint {
  uint32_t batch_size = 0;
  int concurrency = 0;
  std::string payload;
  std::string compress;
  BenchResult result;
};

struct Recommendation {
  SweepPoint point;
  double best_records_per_s = 0;  ///< best throughput of the whole sweep
  bool relaxed = false;           ///< no point within 5% of the best met the p99 limit: best under the limit
  std::string explanation;        ///< one readable line
};

/// The smallest batch size (then the smallest concurrency) whose throughput is within
/// `within_fraction` of the best point's and whose p99 is at most `max_p99_ms` (0: no limit);
/// failing that, the fastest point under the limit (relaxed); nullopt when no error-free point
/// meets the limit. Points with errors are never recommended.
[[nodiscard]] std::optional<Recommendation> Recommend(const std::vector<SweepPoint>& points, double max_p99_ms,
                                                      double within_fraction = 0.05);

/// The CSV (header + one line per point).
[[nodiscard]] std::string SweepCsv(const std::vector<SweepPoint>& points);

/// The recommendation as `sluice run --config` lines (batch-size, concurrency, and payload /
/// compress when they were swept).
[[nodiscard]] std::string RecommendedConfig(const Recommendation& r, bool include_payload, bool include_compress);

/// Writes the gnuplot data and script into `dir` and runs gnuplot if it is installed. Returns
/// the chart files made (empty when gnuplot is missing); `note` says what happened.
/// `max_p99_ms` > 0 draws the limit into the latency chart. `recommended` (may be null) is
/// framed on its heatmap and circled on the latency chart.
std::vector<std::string> DrawSweepCharts(const std::vector<SweepPoint>& points, const std::string& dir,
                                         const std::string& subtitle, double max_p99_ms,
                                         const Recommendation* recommended, std::string& note);

/// Runs the whole sweep. Points run one after another; a fatal error (e.g. bad credentials)
/// stops the sweep. `stop` counts SIGINT/SIGTERM.
[[nodiscard]] Status RunSweep(const SweepOptions& options, const std::atomic<int>* stop,
                              std::vector<SweepPoint>& points, std::optional<Recommendation>& recommendation);

}  // namespace sluice::bench
