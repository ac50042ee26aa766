// File: app/bench/timeline_chart.h
// DrawTimelineChart: `sluice bench --plot DIR` — the sender's in-flight limit (left axis) and
// the delivered records/s (right axis) against time since the clock started, warm-up included,
// so the ramp of --concurrency auto shows. Writes concurrency_timeline.dat and .gp into DIR and
// draws concurrency_timeline.png and .svg with gnuplot when it is installed. Called by the
// bench command after RunBench; main thread only.
#pragma once

#include <string>
#include <vector>

#include "app/bench/bench_runner.h"

namespace sluice::bench {

/// Returns the chart files made (empty when gnuplot is missing or there is nothing to draw);
/// `note` says what happened.
std::vector<std::string> DrawTimelineChart(const BenchResult& result, const std::string& dir, std::string& note);

/// The chart's data file: "t_s limit records_per_s" per line (the rate between the previous
/// sample and this one; the first line has none and is left out).
[[nodiscard]] std::string TimelineData(const std::vector<TimelinePoint>& points);

}  // namespace sluice::bench
