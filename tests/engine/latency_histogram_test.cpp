// LatencyHistogram: percentiles within the bucket resolution, max, merge.
#include <gtest/gtest.h>

#include "engine/latency_histogram.h"

namespace sluice::stages {
namespace {

TEST(LatencyHistogram, PercentilesStayWithinBucketResolution) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(50), 0u);
  for (uint64_t us = 1; us <= 100000; ++us) h.Record(us);
  EXPECT_EQ(h.Count(), 100000u);
  EXPECT_EQ(h.Max(), 100000u);
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9}) {
    const double truth = p * 1000.0;
    const double got = static_cast<double>(h.Percentile(p));
    EXPECT_GE(got, truth - 1) << p;
    EXPECT_LE(got, truth * 1.04) << p;
  }
  EXPECT_EQ(h.Percentile(100), 100000u);
}

TEST(LatencyHistogram, ExactForSmallValuesAndMerges) {
  LatencyHistogram a, b;
  a.Record(3);
  a.Record(3);
  b.Record(40);
  b.Record(5000000);
  a.Merge(b);
  EXPECT_EQ(a.Count(), 4u);
  EXPECT_EQ(a.Percentile(50), 3u);
  EXPECT_EQ(a.Percentile(75), 40u);
  EXPECT_EQ(a.Max(), 5000000u);
  EXPECT_EQ(a.Percentile(100), 5000000u);
  a.Reset();
  EXPECT_EQ(a.Count(), 0u);
}

TEST(LatencyHistogram, SumAndCumulativeCountsForPrometheus) {
  LatencyHistogram h;
  for (uint64_t us : {10ull, 20ull, 1000ull, 5000ull, 100000ull}) h.Record(us);
  EXPECT_EQ(h.Sum(), 106030u);
  EXPECT_EQ(h.CountAtOrBelow(20), 2u);  // exact below 64 us
  EXPECT_EQ(h.CountAtOrBelow(1100), 3u);
  EXPECT_EQ(h.CountAtOrBelow(10000), 4u);
  EXPECT_EQ(h.CountAtOrBelow(1ull << 41), 5u);
  EXPECT_EQ(h.CountAtOrBelow(5), 0u);
  h.Reset();
  EXPECT_EQ(h.Sum(), 0u);
}

}  // namespace
}  // namespace sluice::stages
