// File: tests/engine/progress_test.cpp
// ProgressReporter::Describe: the text of a progress update, for the startup phases, a streaming
// run and a bounded run (total, percent, lag, ETA). Pure function; no output is written.
#include <gtest/gtest.h>

#include "engine/progress.h"

namespace sluice {
namespace {

TEST(ProgressReporter, NamesTheStartupPhaseUntilARecordArrives) {
  ProgressFigures f;
  f.source.phase = SourceProgress::Phase::kConnecting;
  EXPECT_EQ(ProgressReporter::Describe(f, 1, 0, 0), "connecting to the Kafka brokers");
  f.source.phase = SourceProgress::Phase::kJoining;
  f.source.group = "g1";
  EXPECT_EQ(ProgressReporter::Describe(f, 1, 0, 0), "joining consumer group g1");
  f.source.phase = SourceProgress::Phase::kAssigned;
  f.source.assigned_partitions = 8;
  EXPECT_EQ(ProgressReporter::Describe(f, 1, 0, 0).rfind("assigned 8 partitions: consumed 0 (0/s)", 0), 0u);
  f.consumed = 10;
  EXPECT_EQ(ProgressReporter::Describe(f, 1, 0, 0).rfind("consumed 10 (10/s)", 0), 0u);
}

TEST(ProgressReporter, StreamingFiguresAndRates) {
  ProgressFigures f;
  f.consumed = 3000;
  f.delivered = 2500;
  f.in_flight = 500;
  f.rejected = 2;
  f.skipped_tombstones = 4;
  EXPECT_EQ(ProgressReporter::Describe(f, 2.0, 1000, 500),
            "consumed 3000 (1000/s)  delivered 2500 (1000/s)  in flight 500  rejected 2  skipped tombstones 4");
}

TEST(ProgressReporter, BoundedRunShowsTotalPercentLagAndEta) {
  ProgressFigures f;
  f.consumed = 2500;
  f.delivered = 2000;
  f.source.phase = SourceProgress::Phase::kAssigned;
  f.source.assigned_partitions = 4;
  f.source.total_records = 10000;
  f.source.remaining_records = 7500;
  // 1000 records/s consumed over the last second: 7500 left take 7.5 s.
  EXPECT_EQ(
      ProgressReporter::Describe(f, 1.0, 1500, 1500),
      "consumed 2500 (1000/s)  delivered 2000 (500/s)  in flight 0  rejected 0  of 10000: 25.0%, lag 7500, eta 8s");
  f.source.remaining_records = 0;
  EXPECT_NE(ProgressReporter::Describe(f, 1.0, 2500, 2000).find("of 10000: 100.0%, lag 0, eta 0s"), std::string::npos);
  // No rate yet: no ETA rather than a made-up one.
  f.source.remaining_records = 10;
  EXPECT_EQ(ProgressReporter::Describe(f, 1.0, 2500, 2000).find("eta"), std::string::npos);
}

}  // namespace
}  // namespace sluice
