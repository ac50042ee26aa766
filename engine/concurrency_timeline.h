// File: engine/concurrency_timeline.h
// ConcurrencyTimeline: the sender's in-flight limit (and the records delivered so far) sampled
// over a run, for the JSON reports of `sluice run` and `sluice bench` and the bench's limit and
// throughput chart. Bounded: it samples every `interval_s` and, when `max_points` are held,
// drops every other point and doubles the interval, so a day-long run keeps the same number of
// points as a minute-long one, spread over the whole run.
// Thread-safety: not thread-safe; one sampling thread owns it while the run goes, the reader
// takes it after.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct TimelinePoint {
  double t_s = 0;          ///< seconds since the run (or the bench's clock) started
  int limit = 0;           ///< requests the sender may have in flight then
  uint64_t delivered = 0;  ///< records delivered by then
};

class ConcurrencyTimeline {
 public:
  /// Default: 10 samples a second, at most 1,000 points (the first 100 s at 0.1 s).
  explicit ConcurrencyTimeline(double interval_s = 0.1, size_t max_points = 1000);

  /// Records a point when at least the current interval passed since the last recorded one
  /// (the first call always records). Returns whether it did.
  bool MaybeAdd(double t_s, int limit, uint64_t delivered);
  /// Records a point unconditionally (the run's last state); replaces the previous point when it
  /// is not at least kResolutionSeconds later.
  void Add(double t_s, int limit, uint64_t delivered);

  /// The series' time resolution: LimitSeriesJson and ThroughputSeriesJson print t in ms.
  static constexpr double kResolutionSeconds = 0.001;

  [[nodiscard]] const std::vector<TimelinePoint>& Points() const { return points_; }
  [[nodiscard]] double IntervalSeconds() const { return interval_s_; }

 private:
  void Thin();

  double interval_s_;
  size_t max_points_;
  std::vector<TimelinePoint> points_;
};

/// `[[t_s, limit], ...]` (t with 3 decimals).
[[nodiscard]] std::string LimitSeriesJson(const std::vector<TimelinePoint>& points);
/// `[[t_s, records_per_s], ...]`: delivery rate between consecutive points, stamped at the
/// later one (one entry fewer than the points).
[[nodiscard]] std::string ThroughputSeriesJson(const std::vector<TimelinePoint>& points);
/// Records delivered per second between consecutive points, as above.
[[nodiscard]] std::vector<double> ThroughputSeries(const std::vector<TimelinePoint>& points);

}  // namespace sluice
