// Throttling end to end: the sink emulator enforces FeatureBase's per-endpoint limit (here
// 2,000 records/s with a 10,000-record burst, answering 400 ResourceThroughputExceeded above
// it). sluice with a matching client-side --rate-limit should stay under it; without one it
// must back off on the throttling answers and still deliver every record.
#include <gtest/gtest.h>

#include "tests/faults/fault_env.h"

namespace sluice::faults {
namespace {

constexpr uint64_t kCount = 20000;
constexpr int kPartitions = 8;
constexpr int kRunTimeoutMs = 100000;
const char* const kTopic = "flights-throttle";

class Throttling : public FaultSuite<Throttling> {
 public:
  static void SetUpTestSuite() {
    StartShared(FaultSetup(1).Topic(kTopic, kPartitions).Flights(kCount, 2000).EmulatorArgs(
        {"--limit-records-per-s", "2000", "--limit-burst-records", "10000"}));
  }

 protected:

  /// One run into its own sink id (its own token bucket at the emulator).
  RunReport Run(const std::string& sink, const std::vector<std::string>& extra) {
    testing::ProcessOptions run = SluiceKafkaRun(*emulator_, sink, kafka_->bootstrap(), kTopic, "g-" + sink);
    const std::string report_path = dir_ + "/" + sink + ".json";
    run.argv.insert(run.argv.end(), {"--until-caught-up", "--report", report_path});
    run.argv.insert(run.argv.end(), extra.begin(), extra.end());
    testing::ProcessResult r = testing::RunProcess(run, kRunTimeoutMs);
    RunReport report = ParseReport(ReadFileText(report_path));
    SinkStats stats = emulator_->Stats(sink);
    EXPECT_FALSE(r.timed_out) << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(report.parsed);
    EXPECT_EQ(stats.distinct_ids, kCount) << "records missing at the sink";
    EXPECT_EQ(report.delivered, static_cast<int64_t>(kCount));
    PrintTableLine(sink, kCount, stats, report);
    return report;
  }
};

TEST_F(Throttling, ClientSideRateLimitMatchingTheSinkAvoidsThrottlingAnswers) {
  RunReport r = Run("limited", {"--rate-limit", "2000/s"});
  EXPECT_EQ(r.retries_throttled, 0) << "sluice at 2000/s still ran into the sink's 2000/s limit";
}

TEST_F(Throttling, WithoutClientLimitSluiceBacksOffAndDeliversEverything) {
  RunReport r = Run("unlimited", {});
  EXPECT_GT(r.retries_throttled, 0) << "20,000 records against a 10,000 burst at 2,000/s must be throttled";
}

}  // namespace
}  // namespace sluice::faults
