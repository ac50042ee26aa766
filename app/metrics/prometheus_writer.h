// File: app/metrics/prometheus_writer.h
// PrometheusWriter: builds a Prometheus text exposition (format 0.0.4) in a string: one
// "# HELP"/"# TYPE" header per metric family, then its samples, label values and help text
// escaped as the format requires. Used by RenderPipelineMetrics(); any other component can add
// its own families the same way.
// Thread-safety: none; one writer per rendering.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::metrics {

/// Label name/value pairs of one sample, written in the given order.
using Labels = std::vector<std::pair<std::string, std::string>>;

/// The family types this writer emits.
enum class MetricType {
  kCounter,    ///< monotonically increasing total (name should end in _total)
  kGauge,      ///< value that goes up and down
  kHistogram,  ///< cumulative _bucket{le=...} series plus _sum and _count
};

/// A histogram snapshot: cumulative counts per upper bound (ascending, without +Inf), the total
/// count (the +Inf bucket) and the sum of the observed values, all in the metric's unit.
struct HistogramSnapshot {
  std::vector<std::pair<double, uint64_t>> buckets;  ///< (le, count of observations <= le)
  uint64_t count = 0;
  double sum = 0;
};

class PrometheusWriter {
 public:
  /// Starts a family: "# HELP name help" and "# TYPE name type". Write each family once.
  void Family(std::string_view name, MetricType type, std::string_view help);
  /// One sample line: name{labels} value.
  void Sample(std::string_view name, const Labels& labels, double value);

  /// A family with one unlabelled sample.
  void Counter(std::string_view name, std::string_view help, double value);
  void Gauge(std::string_view name, std::string_view help, double value);
  /// A histogram family (header, buckets incl. +Inf, _sum, _count) with optional labels.
  void Histogram(std::string_view name, std::string_view help, const HistogramSnapshot& h,
                 const Labels& labels = {});

  /// The text so far.
  [[nodiscard]] const std::string& Text() const { return out_; }
  /// Moves the text out; the writer is empty afterwards.
  [[nodiscard]] std::string Take() { return std::move(out_); }

  /// Label value escaping: backslash, double quote and newline become \\, \" and \n.
  [[nodiscard]] static std::string EscapeLabelValue(std::string_view value);
  /// HELP escaping: backslash and newline become \\ and \n.
  [[nodiscard]] static std::string EscapeHelp(std::string_view help);
  /// Sample value text: integers without a fraction, others shortest round-trip, +Inf/-Inf/NaN.
  [[nodiscard]] static std::string FormatValue(double value);

 private:
  std::string out_;
};

}  // namespace sluice::metrics
