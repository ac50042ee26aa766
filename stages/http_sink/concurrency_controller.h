// File: stages/http_sink/concurrency_controller.h
// ConcurrencyController: the AIMD limit behind `--concurrency auto` (TCP congestion control /
// Vector's Adaptive Request Concurrency). It is fed one observation per completed request and
// answers how many requests may be in flight:
//   - It keeps TCP-style RTT statistics: an EWMA mean and mean deviation (alpha 1/8, beta 1/4)
//     and a "minimum-ish" baseline that follows lower RTTs quickly and higher RTTs slowly
//     (a few % of the gap per window), so a permanent change of path latency is learnt within
//     tens of windows while a latency spike is not.
//   - Slow start (TCP's, RFC 5681): from the initial limit (the HTTP sink starts at 10, as TCP's
//     initial window of RFC 6928), a success whose RTT is within the threshold
//     adds 1 (the limit doubles per window of `limit` responses), so a remote sink that needs
//     hundreds of requests in flight is filled within a few round trips, not after hundreds of
//     windows. Slow start ends at the first congestion signal (a slow RTT, an overload answer)
//     or on reaching the slow-start threshold.
//   - Additive increase (congestion avoidance): after that, a success within the threshold adds
//     1/limit (about +1 per window). Both grow only while the sender is actually using the
//     whole limit.
//   - Multiplicative decrease: an overload answer (429/503/throttling/timeout) multiplies the
//     limit by `decrease_factor`; an RTT clearly above the baseline — the answer above both
//     `rtt_ratio` x baseline and baseline + `deviation_scale` x deviation, and the smoothed
//     (mean) RTT above `rtt_ratio` x the mean's own baseline (a one-off late answer is jitter) —
//     by mean threshold / mean RTT, kept between
//     `decrease_factor` and `gentle_decrease_factor`. At most once per window: the responses
//     of requests already in flight when it shrank (one old limit's worth) cannot shrink it
//     again, nor grow it.
//   - The slow-start threshold is the last known good limit: the limit at the start of the
//     last window of answers without a congestion signal ("clean window"). A cut sets it (never
//     below the cut limit), so after a cut the limit doubles back up to what last worked and
//     probes additively from there. The first congestion signal of slow start comes a window
//     after the limit doubled, so the last good limit is about half of it and the cut (to
//     between 0.5 and 0.9 of it) continues additively. Cuts that follow without a clean window
//     in between (a burst of 503s, a latency spike) keep the target from before the burst,
//     however low they drive the limit; when a sink lost capacity for good, the regrowth meets
//     congestion below the old target and the last clean window of that regrowth is the new one.
// Windows are counted in responses, not wall time, so the controller is deterministic and
// needs no clock. Thread-safety: not thread-safe; HttpSender uses it on its sender thread only.
#pragma once

#include <cstdint>

#include "engine/status.h"

namespace sluice::stages {

struct ConcurrencyControllerConfig {
  /// Lowest limit. Default 1.
  int min_limit = 1;
  /// Highest limit. Default 64.
  int max_limit = 64;
  /// Limit to start from (clamped into [min_limit, max_limit]). Default 1; the HTTP sink
  /// starts at 10 (HttpSinkConfig::initial_concurrency says why).
  int initial_limit = 1;
  /// An RTT above this multiple of the baseline (and above the noise band) is congestion.
  /// Default 2.5: a sink that spreads work over threads or disks keeps gaining throughput
  /// while its RTT doubles (measured against the emulator: +70% records/s from 16 to 64 in
  /// flight while p50 went from 1.2x to 3x the idle RTT), so a tighter bound would settle far
  /// below the sweep's best.
  double rtt_ratio = 2.5;
  /// Width of the noise band in mean deviations above the baseline. Default 2.
  double deviation_scale = 2.0;
  /// Factor applied to the limit on push-back (429/503/throttling/timeout), and the deepest
  /// cut for a slow RTT. Default 0.5.
  double decrease_factor = 0.5;
  /// Factor applied for an RTT just above the threshold. A slower RTT cuts deeper, in
  /// proportion (threshold / rtt), down to decrease_factor: a sink that is merely queueing a
  /// little is not halved, which would leave the limit oscillating far below the knee
  /// (Vector's adaptive concurrency uses 0.9 for the same reason). Default 0.9.
  double gentle_decrease_factor = 0.9;
  /// Fraction of the gap to a higher RTT the baseline closes per window. Default 0.02.
  double baseline_rise_per_window = 0.02;
  /// Start in slow start (doubling per window until the first congestion signal). Default
  /// true; false gives the plain AIMD ramp (+1 per window from the start).
  bool slow_start = true;
};

/// Checks ranges (min >= 1, max >= min, factors in range).
[[nodiscard]] Status Validate(const ConcurrencyControllerConfig& config);

/// What the last OnResponse() did to the limit.
enum class LimitChange {
  kNone,       ///< unchanged (or moved by less than a whole request)
  kIncreased,  ///< slow-start or additive increase
  kDecreased,  ///< multiplicative decrease
};

class ConcurrencyController {
 public:
  /// `config` must pass Validate() (out-of-range values are clamped, never trusted).
  explicit ConcurrencyController(const ConcurrencyControllerConfig& config);

  /// One completed request. `rtt_us`: send-to-answer time. `overloaded`: the sink pushed back
  /// (429, 503, throttling answer, timeout); its RTT is not used for the statistics because a
  /// quick refusal says nothing about service time. `saturated`: the sender had as many
  /// requests in flight as the limit allowed (or work waiting) — without it the limit does not
  /// grow, as TCP does not grow an application-limited window.
  LimitChange OnResponse(uint64_t rtt_us, bool overloaded, bool saturated = true);

  /// Requests allowed in flight now: floor of the internal limit, in [min_limit, max_limit].
  [[nodiscard]] int Limit() const { return static_cast<int>(limit_); }
  /// The exact (fractional) limit.
  [[nodiscard]] double ExactLimit() const { return limit_; }
  /// RTT statistics in us (0 before the first sample).
  [[nodiscard]] double RttMeanUs() const { return mean_us_; }
  [[nodiscard]] double RttDeviationUs() const { return deviation_us_; }
  [[nodiscard]] double BaselineUs() const { return baseline_us_; }
  /// The smoothed RTT's own "minimum-ish" level (its value when nothing queues).
  [[nodiscard]] double MeanBaselineUs() const { return mean_baseline_us_; }
  /// RTTs above this (us) count as congestion; 0 before the first sample.
  [[nodiscard]] double ThresholdUs() const;
  /// True while the limit grows multiplicatively (below the slow-start threshold).
  [[nodiscard]] bool InSlowStart() const { return limit_ < slow_start_threshold_; }
  /// The slow-start threshold: max_limit until the first back-off, then the last known good
  /// limit (see the file comment).
  [[nodiscard]] double SlowStartThreshold() const { return slow_start_threshold_; }

 private:
  void Decrease(double factor);
  // Grows by the slow-start or the additive step.
  void Grow();
  // Counts one answer (outside a decrease's recovery) into the clean-window tracking.
  void CountWindow(bool congested);
  void UpdateRtt(double rtt_us);

  ConcurrencyControllerConfig config_;
  double limit_ = 1;
  double mean_us_ = 0;
  double deviation_us_ = 0;
  double baseline_us_ = 0;
  double mean_baseline_us_ = 0;
  uint64_t samples_ = 0;
  bool have_rtt_ = false;
  // Responses still to come from requests sent before the last decrease; they neither shrink
  // nor grow the limit again.
  double recovery_left_ = 0;
  // Below this the limit grows by 1 per success (doubling per window), at or above it by
  // 1/limit. Starts at max_limit (slow start until the first congestion signal).
  double slow_start_threshold_ = 0;
  // Clean-window tracking: answers left in the current window, the limit it started at, and
  // whether one of its answers was a congestion signal. A window is `limit` answers counted
  // outside a decrease's recovery.
  double window_left_ = 0;
  double window_start_limit_ = 0;
  bool window_congested_ = false;
  // The start limit of the last window without a congestion signal: the last known good limit,
  // which a cut sets as the slow-start threshold.
  double last_good_limit_ = 0;
};

}  // namespace sluice::stages
