// File: engine/reject_ratio_guard.h
// RejectRatioGuard: --max-reject-ratio. Trips once at least `window` records had an outcome and
// more than `max_ratio` of the records read so far were rejected: a run that refuses that much
// is misconfigured (schema, endpoint, format), and dead-lettering the rest of the topic would
// only hide it.
// The share is taken over the whole run, against the records READ, not over recent outcomes:
// outcomes do not arrive in source order (the parser's rejections of a chunk come at once, its
// deliveries only once the sink answered, possibly after thousands more records were read),
// so a share of recent outcomes overstates the rejections at the start of a run and would stop
// runs whose data is only partly bad. Every rejected record was read first, so this share
// never overstates; it understates by the records in flight, and over a long run a late burst
// of rejections is diluted (a sink that refuses everything alike is caught by the isolation
// rule of the HTTP sink instead).
// Used by Pipeline on the ingress thread (ProcessReports), before the rejections are handled,
// so the rejections that tripped it are neither dead-lettered nor committed. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace sluice {

class RejectRatioGuard {
 public:
  /// `max_ratio` >= 1 turns the guard off; `window` >= 1.
  RejectRatioGuard(double max_ratio, uint64_t window) : max_ratio_(max_ratio), window_(window ? window : 1) {}

  bool enabled() const { return max_ratio_ < 1.0; }

  /// One report's outcomes; `consumed_total`: records read by the run so far. True when the
  /// guard tripped (it stays tripped).
  bool Observe(uint64_t consumed_total, uint64_t delivered, uint64_t rejected);

  /// "3000 of the 5000 records read were rejected, ..." for the stop message.
  std::string Describe() const;

 private:
  double max_ratio_;
  uint64_t window_;
  uint64_t outcomes_ = 0;
  uint64_t rejected_ = 0;
  uint64_t consumed_ = 0;
  bool tripped_ = false;
};

}  // namespace sluice
