#include "engine/concurrency_timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sluice {

ConcurrencyTimeline::ConcurrencyTimeline(double interval_s, size_t max_points)
    : interval_s_(interval_s > 0 ? interval_s : 0.1), max_points_(std::max<size_t>(max_points, 4)) {}

bool ConcurrencyTimeline::MaybeAdd(double t_s, int limit, uint64_t delivered) {
  // A small tolerance: a sampler that wakes "every interval" is a little early now and then.
  if (!points_.empty() && t_s < points_.back().t_s + interval_s_ * 0.95) return false;
  points_.push_back({t_s, limit, delivered});
  if (points_.size() >= max_points_) Thin();
  return true;
}

void ConcurrencyTimeline::Add(double t_s, int limit, uint64_t delivered) {
  // The series are written in milliseconds: a last state taken within a millisecond of the last
  // sample would print at the same time as it, with a rate over a sub-millisecond step.
  if (!points_.empty() && t_s < points_.back().t_s + kResolutionSeconds) points_.pop_back();
  points_.push_back({t_s, limit, delivered});
  if (points_.size() >= max_points_) Thin();
}

void ConcurrencyTimeline::Thin() {
  // Keep the first point and every other one after it; the last point stays the latest state.
  const TimelinePoint last = points_.back();
  std::vector<TimelinePoint> kept;
  kept.reserve(points_.size() / 2 + 2);
  for (size_t i = 0; i < points_.size(); i += 2) kept.push_back(points_[i]);
  if (kept.back().t_s < last.t_s) kept.push_back(last);
  points_ = std::move(kept);
  interval_s_ *= 2;
}

std::vector<double> ThroughputSeries(const std::vector<TimelinePoint>& points) {
  std::vector<double> out;
  for (size_t i = 1; i < points.size(); ++i) {
    const double dt = points[i].t_s - points[i - 1].t_s;
    const double dn = static_cast<double>(points[i].delivered - std::min(points[i].delivered, points[i - 1].delivered));
    out.push_back(dt > 0 ? dn / dt : 0);
  }
  return out;
}

namespace {

std::string Pair(double t, double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "[%.3f, %.*f]", std::isfinite(t) ? t : 0.0, decimals, std::isfinite(v) ? v : 0.0);
  return buf;
}

}  // namespace

std::string LimitSeriesJson(const std::vector<TimelinePoint>& points) {
  std::string s = "[";
  for (size_t i = 0; i < points.size(); ++i) {
    if (i) s += ", ";
    s += Pair(points[i].t_s, points[i].limit, 0);
  }
  return s + "]";
}

std::string ThroughputSeriesJson(const std::vector<TimelinePoint>& points) {
  const std::vector<double> rates = ThroughputSeries(points);
  std::string s = "[";
  for (size_t i = 0; i < rates.size(); ++i) {
    if (i) s += ", ";
    s += Pair(points[i + 1].t_s, rates[i], 1);
  }
  return s + "]";
}

}  // namespace sluice
