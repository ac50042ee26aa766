// ConcurrencyController in isolation, fed synthetic RTTs: deterministic (no clock, no I/O).
#include <gtest/gtest.h>

#include <cstdint>

#include "stages/http_sink/concurrency_controller.h"

namespace sluice::stages {
namespace {

constexpr uint64_t kFlatUs = 20'000;  // 20 ms

ConcurrencyControllerConfig Config(int min_limit = 1, int max_limit = 64) {
  ConcurrencyControllerConfig c;
  c.min_limit = min_limit;
  c.max_limit = max_limit;
  c.initial_limit = min_limit;
  return c;
}

// Feeds `n` successful answers of `rtt_us` each; returns the largest limit seen.
int Feed(ConcurrencyController& c, int n, uint64_t rtt_us, bool saturated = true) {
  int top = c.Limit();
  for (int i = 0; i < n; ++i) {
    c.OnResponse(rtt_us, false, saturated);
    top = std::max(top, c.Limit());
  }
  return top;
}

// Feeds flat answers until the limit reaches `target` (or `budget` answers went by).
int GrowTo(ConcurrencyController& c, int target, int budget = 100000) {
  int used = 0;
  while (c.Limit() < target && used < budget) {
    c.OnResponse(kFlatUs, false);
    ++used;
  }
  return used;
}

TEST(ConcurrencyController, StartsAtInitialLimitClamped) {
  ConcurrencyControllerConfig c = Config(2, 8);
  c.initial_limit = 100;
  EXPECT_EQ(ConcurrencyController(c).Limit(), 8);
  c.initial_limit = 0;
  EXPECT_EQ(ConcurrencyController(c).Limit(), 2);
}

TEST(ConcurrencyController, WithoutSlowStartGrowsAboutOnePerWindowWhenRttFlat) {
  ConcurrencyControllerConfig config = Config();
  config.slow_start = false;
  ConcurrencyController c(config);
  // Additive increase: reaching limit L from 1 takes about 1 + 2 + ... + (L-1) answers.
  const int used = GrowTo(c, 10);
  EXPECT_EQ(c.Limit(), 10);
  EXPECT_GE(used, 30);   // far slower than one per answer (that would be 9)
  EXPECT_LE(used, 60);   // but about one per window (45)
  EXPECT_GT(c.RttMeanUs(), 0);
  EXPECT_NEAR(c.BaselineUs(), static_cast<double>(kFlatUs), 1.0);
}

TEST(ConcurrencyController, SlowStartDoublesPerWindowFromTheStart) {
  ConcurrencyController c(Config(1, 256));
  ASSERT_TRUE(c.InSlowStart());
  // Each window of `limit` flat answers doubles the limit: 1, 2, 4, ... 256.
  for (int limit = 1; limit < 256; limit *= 2) {
    ASSERT_EQ(c.Limit(), limit);
    Feed(c, limit, kFlatUs);
    EXPECT_EQ(c.Limit(), 2 * limit) << "after a window at " << limit;
  }
  // Capped at max_limit.
  Feed(c, 1000, kFlatUs);
  EXPECT_EQ(c.Limit(), 256);
}

TEST(ConcurrencyController, SlowStartEndsAtTheFirstSlowRttThenGrowsAdditively) {
  ConcurrencyController c(Config(1, 256));
  GrowTo(c, 64);
  ASSERT_EQ(c.Limit(), 64);
  // The first RTT far above the threshold (its own and the smoothed one): the proportional
  // cut, here the deepest, a half.
  EXPECT_EQ(c.OnResponse(static_cast<uint64_t>(c.ThresholdUs() * 30), false), LimitChange::kDecreased);
  EXPECT_EQ(c.Limit(), 32);
  EXPECT_FALSE(c.InSlowStart());
  EXPECT_DOUBLE_EQ(c.SlowStartThreshold(), 32.0);
  // The 63 answers of requests sent under the old limit change nothing; then a window of 32
  // flat answers adds about 1, not 32.
  Feed(c, 63, kFlatUs);
  EXPECT_EQ(c.Limit(), 32);
  Feed(c, 32, kFlatUs);
  EXPECT_NEAR(c.ExactLimit(), 33.0, 0.05);
  Feed(c, 33, kFlatUs);
  EXPECT_NEAR(c.ExactLimit(), 34.0, 0.05);
}

TEST(ConcurrencyController, SlowStartEndsAtTheFirstPushBack) {
  ConcurrencyController c(Config(1, 256));
  GrowTo(c, 16);
  EXPECT_EQ(c.OnResponse(kFlatUs, /*overloaded=*/true), LimitChange::kDecreased);
  EXPECT_EQ(c.Limit(), 8);
  EXPECT_FALSE(c.InSlowStart());
  Feed(c, 15, kFlatUs);  // recovery: the rest of the old window
  Feed(c, 8, kFlatUs);
  EXPECT_NEAR(c.ExactLimit(), 9.0, 0.05);  // additive, not 16
}

TEST(ConcurrencyController, AfterABurstRegrowsFastToTheLastGoodLimitThenAdditively) {
  ConcurrencyController c(Config(1, 256));
  GrowTo(c, 64);
  // A burst of 503s: every answer pushes back. The first cut sets the last known good limit
  // (32); the later ones, with no clean window in between, keep it.
  int answers = 0;
  while (c.Limit() > 2 && answers < 10000) {
    c.OnResponse(kFlatUs, /*overloaded=*/true);
    ++answers;
  }
  ASSERT_EQ(c.Limit(), 2);
  EXPECT_DOUBLE_EQ(c.SlowStartThreshold(), 32.0);
  EXPECT_TRUE(c.InSlowStart());
  // The sink is healthy again: the limit doubles per window back to 32 (2 + 4 + 8 + 16 = 30
  // answers, after the 3 answers still owed by requests sent under the last cut's limit of 4)...
  Feed(c, 3, kFlatUs);
  ASSERT_EQ(c.Limit(), 2);
  Feed(c, 2, kFlatUs);
  EXPECT_EQ(c.Limit(), 4);
  Feed(c, 4 + 8 + 16, kFlatUs);
  EXPECT_EQ(c.Limit(), 32);
  EXPECT_FALSE(c.InSlowStart());
  // ...and no further: from there on, about +1 per window.
  Feed(c, 32, kFlatUs);
  EXPECT_NEAR(c.ExactLimit(), 33.0, 0.05);
  const int additive_answers = GrowTo(c, 40);
  EXPECT_GE(additive_answers, 33 * 7);
}

TEST(ConcurrencyController, AfterACutWhileProbingRegrowsFastToTheLastCleanWindowsLimit) {
  ConcurrencyController c(Config(1, 256));
  GrowTo(c, 64);
  c.OnResponse(static_cast<uint64_t>(c.ThresholdUs() * 30), false);  // ends slow start at 32
  ASSERT_EQ(c.Limit(), 32);
  Feed(c, 63, kFlatUs);  // recovery
  GrowTo(c, 40);         // additive: windows of ~32..39 answers, all clean
  ASSERT_FALSE(c.InSlowStart());
  // A push-back halves the limit (as before); the last clean window started at 38 or 39.
  EXPECT_EQ(c.OnResponse(kFlatUs, /*overloaded=*/true), LimitChange::kDecreased);
  EXPECT_EQ(c.Limit(), 20);
  const double good = c.SlowStartThreshold();
  EXPECT_GE(good, 38.0);
  EXPECT_LE(good, 39.0);
  EXPECT_TRUE(c.InSlowStart());
  Feed(c, 39, kFlatUs);  // recovery: answers of requests sent under 40
  ASSERT_EQ(c.Limit(), 20);
  // +1 per answer back to the last good limit (additively this would take ~20 windows)...
  const int answers = GrowTo(c, static_cast<int>(good));
  EXPECT_LE(answers, 20);
  EXPECT_EQ(c.Limit(), static_cast<int>(good));
  EXPECT_FALSE(c.InSlowStart());
  // ...then about +1 per window again.
  Feed(c, static_cast<int>(good), kFlatUs);
  EXPECT_NEAR(c.ExactLimit(), good + 1, 0.1);
}

TEST(ConcurrencyController, RegrowthThatMeetsCongestionLowersTheLastGoodLimit) {
  ConcurrencyController c(Config(1, 256));
  GrowTo(c, 64);
  for (int i = 0; i < 300 && c.Limit() > 2; ++i) c.OnResponse(kFlatUs, true);
  ASSERT_EQ(c.Limit(), 2);
  ASSERT_DOUBLE_EQ(c.SlowStartThreshold(), 32.0);
  // The sink now copes with less than before: regrowing, the RTT turns slow at 16. That cut
  // follows clean windows, so it sets a new, lower good limit instead of aiming at 32 again.
  GrowTo(c, 16);
  ASSERT_EQ(c.Limit(), 16);
  EXPECT_EQ(c.OnResponse(static_cast<uint64_t>(c.ThresholdUs() * 30), false), LimitChange::kDecreased);
  EXPECT_EQ(c.Limit(), 8);
  EXPECT_DOUBLE_EQ(c.SlowStartThreshold(), 8.0);
  EXPECT_FALSE(c.InSlowStart());
}

TEST(ConcurrencyController, NeverExceedsMaxOrDropsBelowMin) {
  ConcurrencyController c(Config(2, 16));
  EXPECT_EQ(Feed(c, 5000, kFlatUs), 16);
  EXPECT_EQ(c.Limit(), 16);
  for (int i = 0; i < 500; ++i) c.OnResponse(kFlatUs, true);
  EXPECT_EQ(c.Limit(), 2);
}

TEST(ConcurrencyController, HalvesOnOverloadThenRecovers) {
  ConcurrencyController c(Config());
  GrowTo(c, 32);
  ASSERT_EQ(c.Limit(), 32);
  EXPECT_EQ(c.OnResponse(kFlatUs, /*overloaded=*/true), LimitChange::kDecreased);
  EXPECT_EQ(c.Limit(), 16);
  // Recovers with flat RTTs: grows again beyond the halved limit.
  EXPECT_GT(Feed(c, 2000, kFlatUs), 24);
}

TEST(ConcurrencyController, DecreasesAtMostOncePerWindow) {
  ConcurrencyController c(Config());
  GrowTo(c, 32);
  c.OnResponse(kFlatUs, true);
  ASSERT_EQ(c.Limit(), 16);
  // The other 31 requests sent under the old limit answer 429 too: no further halving.
  for (int i = 0; i < 31; ++i) c.OnResponse(kFlatUs, true);
  EXPECT_EQ(c.Limit(), 16);
  // A push-back after that window halves again.
  EXPECT_EQ(c.OnResponse(kFlatUs, true), LimitChange::kDecreased);
  EXPECT_EQ(c.Limit(), 8);
}

TEST(ConcurrencyController, RttWellAboveBaselineBacksOffAndRecovers) {
  ConcurrencyController c(Config());
  GrowTo(c, 20);
  const double baseline_before = c.BaselineUs();
  // Latency goes from 20 ms to 200 ms (all successes): the limit keeps shrinking.
  int lowest = c.Limit();
  for (int i = 0; i < 40; ++i) {
    c.OnResponse(200'000, false);
    lowest = std::min(lowest, c.Limit());
  }
  EXPECT_LE(lowest, 5);
  // A spike does not move the "minimum-ish" baseline far.
  EXPECT_LT(c.BaselineUs(), 3 * baseline_before);
  // Back to 20 ms: grows again.
  const int low = c.Limit();
  EXPECT_GT(Feed(c, 1000, kFlatUs), low + 5);
}

TEST(ConcurrencyController, SlightlySlowRttCutsGentlyAndFarSlowerRttCutsDeep) {
  ConcurrencyController gentle(Config());
  GrowTo(gentle, 40);
  ASSERT_EQ(gentle.Limit(), 40);
  const double threshold = gentle.ThresholdUs();
  ASSERT_GT(threshold, static_cast<double>(kFlatUs));
  // Answers settle a little above the threshold: once the smoothed RTT is past it too, a sink
  // queueing a little loses a tenth of the limit, not half.
  int answers = 0;
  double before = gentle.ExactLimit();
  while (gentle.OnResponse(static_cast<uint64_t>(threshold * 1.2), false) != LimitChange::kDecreased) {
    ASSERT_LT(++answers, 1000) << "never backed off";
    before = gentle.ExactLimit();
  }
  EXPECT_NEAR(gentle.ExactLimit(), 0.9 * before, 0.01);

  ConcurrencyController deep(Config());
  GrowTo(deep, 40);
  // Thirty times the threshold: the cut stops at decrease_factor (a half).
  EXPECT_EQ(deep.OnResponse(static_cast<uint64_t>(deep.ThresholdUs() * 30), false), LimitChange::kDecreased);
  EXPECT_EQ(deep.Limit(), 20);
}

TEST(ConcurrencyController, OneLateAnswerAmongManyOnTimeDoesNotBackOff) {
  ConcurrencyController c(Config(1, 256));
  GrowTo(c, 200);
  // Jitter: every 20th answer takes three times the threshold, the rest are on time. The
  // smoothed RTT stays below the threshold, so neither slow start nor the limit suffers.
  int decreases = 0;
  for (int i = 0; i < 2000; ++i) {
    const uint64_t rtt = i % 20 == 0 ? static_cast<uint64_t>(3 * c.ThresholdUs()) : kFlatUs;
    if (c.OnResponse(rtt, false) == LimitChange::kDecreased) ++decreases;
  }
  EXPECT_EQ(decreases, 0);
  EXPECT_EQ(c.Limit(), 256);
}

TEST(ConcurrencyController, AJitteryPathIsJudgedByItsMeanRttNotItsFastestAnswer) {
  ConcurrencyController c(Config(1, 256));
  // 50 ms +- 20 (30..70, spread evenly): the fastest answers say 30 ms, the mean says 50.
  auto jitter = [](int i, uint64_t extra_us) {
    return 30'000 + static_cast<uint64_t>((i * 17) % 41) * 1'000 + extra_us;  // scattered, not a ramp
  };
  int i = 0;
  while (c.Limit() < 100 && i < 100000) c.OnResponse(jitter(i++, 0), false);
  ASSERT_EQ(c.Limit(), 100);
  // A little queueing: every answer 40 ms later (mean 90 ms: 3x the fastest idle answer, 1.8x
  // the idle mean). Throughput still grows with the limit here; no back-off.
  int decreases = 0;
  for (int k = 0; k < 3000; ++k) {
    if (c.OnResponse(jitter(i++, 40'000), false) == LimitChange::kDecreased) ++decreases;
  }
  EXPECT_EQ(decreases, 0);
  EXPECT_GT(c.Limit(), 100);
  // A real queue: the mean goes to 4x its idle level. The limit backs off.
  for (int k = 0; k < 200 && decreases == 0; ++k) {
    if (c.OnResponse(jitter(i++, 150'000), false) == LimitChange::kDecreased) ++decreases;
  }
  EXPECT_EQ(decreases, 1);
}

TEST(ConcurrencyController, NoiseWithinTheBandDoesNotBackOff) {
  ConcurrencyController c(Config());
  // 18..24 ms jitter around 20 ms: within 1.5x the baseline, never a decrease.
  const uint64_t pattern[] = {20'000, 18'000, 24'000, 21'000, 19'000, 23'000};
  int decreases = 0;
  for (int i = 0; i < 5000; ++i) {
    if (c.OnResponse(pattern[i % 6], false) == LimitChange::kDecreased) ++decreases;
  }
  EXPECT_EQ(decreases, 0);
  EXPECT_EQ(c.Limit(), 64);
}

TEST(ConcurrencyController, DoesNotGrowWhileNotSaturated) {
  ConcurrencyController c(Config());
  GrowTo(c, 4);
  // The sender uses fewer requests than allowed: an idle limit must not climb to the max.
  EXPECT_EQ(Feed(c, 1000, kFlatUs, /*saturated=*/false), 4);
  EXPECT_EQ(c.Limit(), 4);
}

TEST(ConcurrencyController, BaselineLearnsAPermanentLatencyShift) {
  ConcurrencyController c(Config());
  GrowTo(c, 16);
  // The path latency changes for good: after backing off, the baseline follows and the
  // limit grows again at the new latency.
  int lowest = c.Limit();
  for (int i = 0; i < 200; ++i) {
    c.OnResponse(60'000, false);
    lowest = std::min(lowest, c.Limit());
  }
  EXPECT_LT(lowest, 16);
  EXPECT_GT(Feed(c, 5000, 60'000), lowest + 5);
  EXPECT_GT(c.BaselineUs(), 40'000);
}

TEST(ConcurrencyController, OverloadedAnswersDoNotTouchRttStatistics) {
  ConcurrencyController c(Config());
  GrowTo(c, 8);
  const double baseline = c.BaselineUs();
  // Quick 503s (1 ms) must not pull the baseline down (then every real answer looks slow).
  for (int i = 0; i < 100; ++i) c.OnResponse(1'000, true);
  EXPECT_DOUBLE_EQ(c.BaselineUs(), baseline);
}

TEST(ConcurrencyController, ValidateRejectsBadRanges) {
  ConcurrencyControllerConfig c = Config();
  EXPECT_TRUE(Validate(c).ok());
  c.min_limit = 0;
  EXPECT_EQ(Validate(c).code(), StatusCode::kInvalidArgument);
  c = Config(8, 4);
  EXPECT_EQ(Validate(c).code(), StatusCode::kInvalidArgument);
  c = Config();
  c.decrease_factor = 1.0;
  EXPECT_EQ(Validate(c).code(), StatusCode::kInvalidArgument);
  c = Config();
  c.rtt_ratio = 1.0;
  EXPECT_EQ(Validate(c).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::stages
