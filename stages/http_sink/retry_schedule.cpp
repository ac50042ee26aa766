// File: stages/http_sink/retry_schedule.cpp
#include "stages/http_sink/retry_schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sluice::stages {

double BackoffCeilingMs(int attempt, int initial_ms, int max_ms) {
  return std::min<double>(max_ms, initial_ms * std::pow(2.0, std::clamp(attempt, 0, 30)));
}

RetryClock::duration DrawBackoff(int attempt, int initial_ms, int max_ms, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> dist(0.0, BackoffCeilingMs(attempt, initial_ms, max_ms));
  return std::chrono::duration_cast<RetryClock::duration>(std::chrono::duration<double, std::milli>(dist(rng)));
}

RetryPacing PaceRetry(RetryClock::duration backoff, long retry_after_s, std::chrono::milliseconds retry_after_max) {
  RetryPacing p;
  p.job_wait = backoff;
  p.requested_s = retry_after_s;
  if (retry_after_s < 0) return p;
  // Compared in ms before converting: a saturated Retry-After in nanoseconds would be close to
  // the clock's range, and adding it to now() could overflow.
  const auto max_ms = std::max<long long>(retry_after_max.count(), 0);
  const long long asked_ms = static_cast<long long>(retry_after_s) * 1000;
  p.capped = asked_ms > max_ms;
  p.endpoint_pause = std::chrono::milliseconds(std::min(asked_ms, max_ms));
  return p;
}

bool ShouldLogPause(RetryClock::time_point paused_until, RetryClock::time_point now, RetryClock::duration pause) {
  return pause > kLoggedPause && paused_until <= now;
}

std::string PauseMessage(std::string_view url, long status, const RetryPacing& pacing,
                         std::chrono::milliseconds retry_after_max) {
  char pause[32];
  std::snprintf(pause, sizeof pause, "%.1f s",
                std::chrono::duration<double>(pacing.endpoint_pause).count());
  std::string m = "sink endpoint " + std::string(url) + " answered HTTP " + std::to_string(status) +
                  " with Retry-After: " + std::to_string(pacing.requested_s) + "; pausing it for " + pause;
  if (pacing.capped) {
    m += " (capped by --retry-after-max-ms " + std::to_string(retry_after_max.count()) + ")";
  }
  return m;
}

}  // namespace sluice::stages
