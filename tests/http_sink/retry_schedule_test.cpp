// Unit tests for the retry pacing rules (retry_schedule.h): the backoff is the floor of every
// retry, Retry-After only lengthens an endpoint's pause and is capped, and pauses are logged
// once per pause. The end-to-end behaviour against a real sink process is in
// tests/misbehaving_sink/pacing_test.cpp.
#include "stages/http_sink/retry_schedule.h"

#include <gtest/gtest.h>

#include "stages/http_sink/retry_after.h"

namespace sluice::stages {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(BackoffCeilingMs, DoublesFromInitialUpToMax) {
  EXPECT_DOUBLE_EQ(BackoffCeilingMs(0, 100, 10000), 100);
  EXPECT_DOUBLE_EQ(BackoffCeilingMs(3, 100, 10000), 800);
  EXPECT_DOUBLE_EQ(BackoffCeilingMs(7, 100, 10000), 10000);
  EXPECT_DOUBLE_EQ(BackoffCeilingMs(1000, 100, 10000), 10000);  // no overflow for long runs
}

TEST(DrawBackoff, StaysBelowTheCeiling) {
  std::mt19937_64 rng(7);
  for (int attempt = 0; attempt < 12; ++attempt) {
    for (int i = 0; i < 100; ++i) {
      const auto d = DrawBackoff(attempt, 100, 10000, rng);
      EXPECT_GE(d, RetryClock::duration::zero());
      EXPECT_LE(d, milliseconds(static_cast<long>(BackoffCeilingMs(attempt, 100, 10000))));
    }
  }
}

TEST(PaceRetry, RetryAfterZeroKeepsTheBackoff) {
  const auto backoff = milliseconds(250);
  const RetryPacing p = PaceRetry(backoff, 0, seconds(60));
  EXPECT_EQ(p.job_wait, backoff);  // a 429 with Retry-After: 0 does not send the job straight back
  EXPECT_EQ(p.endpoint_pause, RetryClock::duration::zero());
  EXPECT_EQ(p.requested_s, 0);
  EXPECT_FALSE(p.capped);
}

TEST(PaceRetry, RetryAfterPausesTheEndpointAndTheJobStillBacksOff) {
  const RetryPacing p = PaceRetry(milliseconds(40), 5, seconds(60));
  EXPECT_EQ(p.job_wait, milliseconds(40));
  EXPECT_EQ(p.endpoint_pause, seconds(5));
  EXPECT_FALSE(p.capped);
}

TEST(PaceRetry, CapsAHugeRetryAfter) {
  const RetryPacing p = PaceRetry(milliseconds(40), ParseRetryAfterSeconds("315360000"), milliseconds(60000));
  EXPECT_EQ(p.endpoint_pause, seconds(60));
  EXPECT_TRUE(p.capped);
  EXPECT_EQ(p.requested_s, 315360000);
  const RetryPacing s = PaceRetry(milliseconds(40), kRetryAfterSaturatedSeconds, milliseconds(1500));
  EXPECT_EQ(s.endpoint_pause, milliseconds(1500));
  EXPECT_TRUE(s.capped);
}

TEST(PaceRetry, WithoutRetryAfterOnlyTheBackoff) {
  const RetryPacing p = PaceRetry(milliseconds(40), -1, seconds(60));
  EXPECT_EQ(p.job_wait, milliseconds(40));
  EXPECT_EQ(p.endpoint_pause, RetryClock::duration::zero());
  EXPECT_EQ(p.requested_s, -1);
}

TEST(ShouldLogPause, OncePerPauseAndOnlyLongOnes) {
  const auto now = RetryClock::now();
  EXPECT_TRUE(ShouldLogPause(RetryClock::time_point{}, now, seconds(60)));
  EXPECT_TRUE(ShouldLogPause(now - seconds(1), now, seconds(2)));  // the last pause ended
  EXPECT_FALSE(ShouldLogPause(now + seconds(30), now, seconds(60)));  // already paused
  EXPECT_FALSE(ShouldLogPause(RetryClock::time_point{}, now, seconds(1)));  // Retry-After: 1, the usual throttle
}

TEST(PauseMessage, NamesEndpointCauseAndCap) {
  const RetryPacing p = PaceRetry(milliseconds(40), 315360000, milliseconds(60000));
  const std::string m = PauseMessage("http://127.0.0.1:9/ingest", 503, p, milliseconds(60000));
  EXPECT_NE(m.find("http://127.0.0.1:9/ingest"), std::string::npos) << m;
  EXPECT_NE(m.find("HTTP 503"), std::string::npos) << m;
  EXPECT_NE(m.find("Retry-After: 315360000"), std::string::npos) << m;
  EXPECT_NE(m.find("60.0 s"), std::string::npos) << m;
  EXPECT_NE(m.find("--retry-after-max-ms 60000"), std::string::npos) << m;
}

}  // namespace
}  // namespace sluice::stages
