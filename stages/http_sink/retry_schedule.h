// File: stages/http_sink/retry_schedule.h
// How long a failed request waits before it may go again, and how long an endpoint that
// answered Retry-After is left alone. Used by HttpSender::ScheduleRetry (and the token
// request's backoff); the rules live here so they can be tested without sockets:
//  - every retry waits its own capped exponential backoff with full jitter (BackoffCeiling,
//    DrawBackoff): that is the floor for every answer, Retry-After included;
//  - Retry-After can only lengthen the wait: it pauses the endpoint that sent it for
//    min(Retry-After, retry_after_max), and the job waits its backoff and then for an
//    endpoint that is not paused (PaceRetry);
//  - a pause longer than kLoggedPause is worth a line on stderr, once per pause of an
//    endpoint rather than once per answer (ShouldLogPause, PauseMessage).
// Thread-safety: pure functions; DrawBackoff uses the caller's generator.
#pragma once

#include <chrono>
#include <random>
#include <string>
#include <string_view>

namespace sluice::stages {

using RetryClock = std::chrono::steady_clock;

/// Pauses longer than this are logged (without --debug); Retry-After: 1, the common throttling
/// answer, is not.
inline constexpr std::chrono::seconds kLoggedPause{1};

/// The backoff ceiling of the `attempt`-th retry (0-based) in ms: initial_ms * 2^attempt,
/// at most max_ms.
[[nodiscard]] double BackoffCeilingMs(int attempt, int initial_ms, int max_ms);

/// A full-jitter draw in [0, BackoffCeilingMs(attempt, ...)).
[[nodiscard]] RetryClock::duration DrawBackoff(int attempt, int initial_ms, int max_ms, std::mt19937_64& rng);

/// What one retriable answer means for the job and its endpoint.
struct RetryPacing {
  RetryClock::duration job_wait{};        ///< the job goes back to the queue after this
  RetryClock::duration endpoint_pause{};  ///< the endpoint takes no request for this long
  long requested_s = -1;                  ///< the Retry-After seconds asked for; -1 = none
  bool capped = false;                    ///< Retry-After was longer than retry_after_max
};

/// `backoff`: the job's own draw (DrawBackoff). `retry_after_s`: the answer's Retry-After
/// seconds, -1 when it had none. The job always waits its backoff (a Retry-After of 0 does not
/// make it go again at once); the endpoint pause is the Retry-After, cut to retry_after_max.
[[nodiscard]] RetryPacing PaceRetry(RetryClock::duration backoff, long retry_after_s,
                                    std::chrono::milliseconds retry_after_max);

/// True when an endpoint paused until `paused_until` (a past time when it was not paused) and
/// now asked for `pause` starts a new pause worth logging: it is longer than kLoggedPause and the
/// endpoint was not already paused (answers that arrive during a pause, from requests sent
/// before it, extend it silently).
[[nodiscard]] bool ShouldLogPause(RetryClock::time_point paused_until, RetryClock::time_point now,
                                  RetryClock::duration pause);

/// "sink endpoint URL answered HTTP 503 with Retry-After: 315360000; pausing it for 60 s (the
/// cap, --retry-after-max-ms 60000)". `url` must already be free of credentials.
[[nodiscard]] std::string PauseMessage(std::string_view url, long status, const RetryPacing& pacing,
                                       std::chrono::milliseconds retry_after_max);

}  // namespace sluice::stages
