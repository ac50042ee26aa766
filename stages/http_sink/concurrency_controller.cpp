#include "stages/http_sink/concurrency_controller.h"

#include <algorithm>
#include <cmath>

namespace sluice::stages {
namespace {

// TCP's RTO estimator gains (RFC 6298): smooth enough to ignore one odd sample, quick enough
// to follow a real change within a few windows.
constexpr double kMeanGain = 1.0 / 8;
constexpr double kDeviationGain = 1.0 / 4;
// A lower RTT pulls the baseline down this much per sample: a minimum that one lucky sample
// cannot set alone.
constexpr double kBaselineFallGain = 0.5;
// Samples after which the mean has largely forgotten its first one ((7/8)^8 = 0.34).
constexpr uint64_t kMeanWarmupSamples = 8;

}  // namespace

Status Validate(const ConcurrencyControllerConfig& c) {
  if (c.min_limit < 1) return InvalidArgument("min concurrency must be >= 1");
  if (c.max_limit < c.min_limit) return InvalidArgument("max concurrency must be >= min concurrency");
  if (c.max_limit > 1024) return InvalidArgument("max concurrency must be <= 1024");
  if (!(c.rtt_ratio > 1.0)) return InvalidArgument("rtt_ratio must be > 1");
  if (!(c.deviation_scale >= 0)) return InvalidArgument("deviation_scale must be >= 0");
  if (!(c.decrease_factor > 0 && c.decrease_factor < 1)) return InvalidArgument("decrease_factor must be in (0, 1)");
  if (!(c.gentle_decrease_factor >= c.decrease_factor && c.gentle_decrease_factor < 1)) {
    return InvalidArgument("gentle_decrease_factor must be in [decrease_factor, 1)");
  }
  if (!(c.baseline_rise_per_window >= 0 && c.baseline_rise_per_window <= 1)) {
    return InvalidArgument("baseline_rise_per_window must be in [0, 1]");
  }
  return Status::Ok();
}

ConcurrencyController::ConcurrencyController(const ConcurrencyControllerConfig& config) : config_(config) {
  config_.min_limit = std::max(1, config_.min_limit);
  config_.max_limit = std::max(config_.min_limit, config_.max_limit);
  limit_ = std::clamp<double>(config_.initial_limit, config_.min_limit, config_.max_limit);
  slow_start_threshold_ = config_.slow_start ? config_.max_limit : config_.min_limit;
}

double ConcurrencyController::ThresholdUs() const {
  if (!have_rtt_) return 0;
  return std::max(config_.rtt_ratio * baseline_us_, baseline_us_ + config_.deviation_scale * deviation_us_);
}

void ConcurrencyController::UpdateRtt(double rtt_us) {
  if (!have_rtt_) {
    have_rtt_ = true;
    mean_us_ = rtt_us;
    deviation_us_ = rtt_us / 2;  // RFC 6298 initial RTTVAR
    baseline_us_ = rtt_us;
    mean_baseline_us_ = rtt_us;
    return;
  }
  deviation_us_ += kDeviationGain * (std::fabs(rtt_us - mean_us_) - deviation_us_);
  mean_us_ += kMeanGain * (rtt_us - mean_us_);
  if (rtt_us < baseline_us_) {
    baseline_us_ += kBaselineFallGain * (rtt_us - baseline_us_);
  } else {
    // Per-sample share of the per-window rise, so the drift per RTT does not depend on how
    // many requests a window holds.
    baseline_us_ += config_.baseline_rise_per_window / limit_ * (rtt_us - baseline_us_);
  }
  // The same "minimum-ish" tracking for the smoothed RTT: what the mean is when nothing queues.
  // The first answers come from the first, smallest windows, which queue nothing; the mean is
  // followed as it is until it has forgotten its first sample (which may well be the fastest).
  if (++samples_ <= kMeanWarmupSamples) {
    mean_baseline_us_ = mean_us_;
  } else if (mean_us_ < mean_baseline_us_) {
    mean_baseline_us_ += kBaselineFallGain * (mean_us_ - mean_baseline_us_);
  } else {
    mean_baseline_us_ += config_.baseline_rise_per_window / limit_ * (mean_us_ - mean_baseline_us_);
  }
}

void ConcurrencyController::Decrease(double factor) {
  // The other requests in flight now were sent under the old limit; their answers describe
  // the state before this decrease.
  recovery_left_ = std::floor(limit_) - 1;  // Limit() requests were in flight
  limit_ = std::max<double>(config_.min_limit, limit_ * factor);
  // Regrow fast up to the last limit a whole window of answers was fine with, then probe
  // additively. Cuts that follow without a clean window in between (a burst of 503s, a latency
  // spike) keep that target, however low they drive the limit.
  slow_start_threshold_ = std::max(limit_, last_good_limit_);
  window_left_ = 0;
  window_congested_ = false;
}

void ConcurrencyController::CountWindow(bool congested) {
  if (window_left_ <= 0) {
    window_left_ = std::floor(limit_);
    window_start_limit_ = std::floor(limit_);
    window_congested_ = false;
  }
  window_left_ -= 1;
  window_congested_ = window_congested_ || congested;
  // The limit at the window's start was in force for the whole window (it only grew since).
  if (window_left_ <= 0 && !window_congested_) last_good_limit_ = window_start_limit_;
}

void ConcurrencyController::Grow() {
  if (limit_ < slow_start_threshold_) {
    // Slow start: +1 per answer doubles the limit per window of answers.
    limit_ = std::min(slow_start_threshold_, limit_ + 1.0);
  } else {
    limit_ += 1.0 / limit_;
  }
  limit_ = std::min<double>(config_.max_limit, limit_);
}

LimitChange ConcurrencyController::OnResponse(uint64_t rtt_us, bool overloaded, bool saturated) {
  const double rtt = static_cast<double>(rtt_us);
  const int before = Limit();
  const bool in_recovery = recovery_left_ > 0;
  if (in_recovery) recovery_left_ -= 1;

  if (overloaded) {
    if (!in_recovery) {
      CountWindow(true);
      Decrease(config_.decrease_factor);
    }
  } else {
    // Judge against the thresholds as they were before this sample. Slow means this answer is
    // past the threshold (the noise band above the fastest answers) AND the smoothed RTT is
    // past rtt_ratio x its own idle level: one late answer among many on time is jitter, not a
    // queue, and a mean still high from a past spike says nothing once answers are on time
    // again. The mean is held to its own baseline, not the fastest answers': a sink 200 ms +-
    // 80 away has a mean 1.65x its fastest answer when idle, so against the fastest answers
    // the limit would stop at half the throughput a larger one gets.
    const double threshold = ThresholdUs();
    const double mean_threshold = config_.rtt_ratio * mean_baseline_us_;
    const bool had_rtt = have_rtt_;
    UpdateRtt(rtt);
    const bool slow = had_rtt && rtt > threshold && mean_us_ > mean_threshold;
    if (!in_recovery) CountWindow(slow);
    if (slow) {
      // Proportional to how far the smoothed RTT is past its threshold.
      const double factor = std::clamp(mean_threshold / mean_us_, config_.decrease_factor,
                                       std::max(config_.decrease_factor, config_.gentle_decrease_factor));
      if (!in_recovery) Decrease(factor);
    } else if (saturated && !in_recovery) {
      Grow();
    }
  }
  const int after = Limit();
  if (after > before) return LimitChange::kIncreased;
  if (after < before) return LimitChange::kDecreased;
  return LimitChange::kNone;
}

}  // namespace sluice::stages
