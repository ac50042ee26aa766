// Kafka-side faults, real executables over TCP: a 3-broker sluice-mock-kafka (so the group
// keeps a coordinator path while one broker is away) and one `sluice run --until-caught-up` per
// fault, each over its own topic of fake flights. Faults are injected through the mock's stdin
// control protocol once the run is visibly delivering: a broker down for 2 s, failed fetches,
// failed offset commits. Every id must reach the sink and the run must exit 0.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "tests/faults/fault_env.h"

namespace sluice::faults {
namespace {

constexpr uint64_t kCount = 20000;
constexpr int kPartitions = 8;
constexpr int kRunTimeoutMs = 100000;

class KafkaFaults : public FaultSuite<KafkaFaults> {
 public:
  // Three brokers, no topic: every test produces its own.
  static void SetUpTestSuite() { StartShared(FaultSetup(3)); }

 protected:

  /// Produces a fresh topic `name`, starts sluice on it (group "g-<name>", sink `name`, a
  /// small fetch window that stretches the run), waits until a few thousand ids
  /// arrived, runs `fault`, and checks the run completed with every id delivered.
  RunReport RunWithFault(const std::string& name, const std::function<void()>& fault,
                         const std::vector<std::string>& extra = {}) {
    RunReport report;
    EXPECT_EQ(kafka_->CreateTopic(name, kPartitions), "");
    testing::ProcessResult produced = ProduceFlights(kafka_->bootstrap(), name, kCount, 9100);
    EXPECT_EQ(produced.exit_code, 0) << produced.err;
    testing::ProcessOptions run = SluiceKafkaRun(*emulator_, name, kafka_->bootstrap(), name, "g-" + name);
    const std::string report_path = dir_ + "/report.json";
    // A small prefetch queue and in-flight bound keep the consumer fetching for the whole run
    // instead of holding the topic in memory after the first second, so the fault hits
    // fetches and commits that matter; the client-side rate limit makes the run last at least
    // 5 s on any machine, so the fault always lands mid-run.
    run.argv.insert(run.argv.end(), {"--until-caught-up", "--report", report_path, "--commit-interval-ms", "200",
                                     "--rate-limit", "4000/s",
                                     "--max-inflight-records", "2000", "--linger-ms", "50", "-X",
                                     "queued.max.messages.kbytes=64", "-X", "queued.min.messages=100"});
    run.argv.insert(run.argv.end(), extra.begin(), extra.end());
    std::string error;
    std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(run, &error);
    EXPECT_NE(p, nullptr) << error;
    if (!p) return report;
    emulator_->WaitForDistinctIds(name, 2000, std::chrono::seconds(40));
    EXPECT_LT(emulator_->Stats(name).distinct_ids, kCount) << "the run finished before the fault; nothing was tested";
    fault();
    testing::ProcessResult r = p->Wait(kRunTimeoutMs);
    report = ParseReport(ReadFileText(report_path));
    SinkStats stats = emulator_->Stats(name);
    EXPECT_FALSE(r.timed_out) << "sluice did not finish under Kafka fault " << name << "\n" << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.all().find(kPassword), std::string::npos);
    EXPECT_TRUE(report.parsed);
    EXPECT_EQ(stats.distinct_ids, kCount) << "records lost under Kafka fault " << name << "\n" << r.err;
    // At-least-once: a commit that fails during a rebalance makes the group re-read from the
    // last committed offset, so records may be delivered twice; none may be missing (above).
    EXPECT_GE(report.delivered, static_cast<int64_t>(kCount));
    PrintTableLine(name, kCount, stats, report);
    return report;
  }
};

TEST_F(KafkaFaults, BrokerDownForTwoSecondsThenUp) {
  // Broker 1 leads some of the 8 partitions (the mock spreads leaders over the brokers).
  RunWithFault("kbroker-down", [&] {
    EXPECT_EQ(kafka_->Command("broker-down 1").rfind("ok", 0), 0u);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    EXPECT_EQ(kafka_->Command("broker-up 1").rfind("ok", 0), 0u);
  });
}

TEST_F(KafkaFaults, FailedFetchesAreRetried) {
  // 6 = NOT_LEADER_OR_FOLLOWER: retriable; the client refreshes metadata and fetches again.
  RunWithFault("kfetch-errors", [&] {
    EXPECT_EQ(kafka_->Command("push-errors Fetch 6 10").rfind("ok", 0), 0u);
  });
}

TEST_F(KafkaFaults, FailedOffsetCommitsDoNotLoseRecords) {
  // 15 = COORDINATOR_NOT_AVAILABLE, 7 = REQUEST_TIMED_OUT: both retriable; with a 200 ms commit
  // interval several periodic commits fail in a row.
  const std::string name = "kcommit-errors";
  RunWithFault(name, [&] {
    EXPECT_EQ(kafka_->Command("push-errors OffsetCommit 15 5").rfind("ok", 0), 0u);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(kafka_->Command("push-errors OffsetCommit 7 5").rfind("ok", 0), 0u);
  });
  // The final commits must have landed after all: the same group again reads nothing new.
  testing::ProcessOptions again = SluiceKafkaRun(*emulator_, name, kafka_->bootstrap(), name, "g-" + name);
  const std::string report_path = dir_ + "/again.json";
  again.argv.insert(again.argv.end(), {"--until-caught-up", "--report", report_path});
  testing::ProcessResult r = testing::RunProcess(again, kRunTimeoutMs);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  RunReport second = ParseReport(ReadFileText(report_path));
  EXPECT_TRUE(second.parsed);
  EXPECT_EQ(second.consumed, 0) << "offsets were not committed after the commit errors; re-read "
                                << second.consumed << " records";
}

TEST_F(KafkaFaults, TransientErrorsOnTheFinalCommitAreRetried) {
  // With a 60 s commit interval the run's only commit is the synchronous one on close; two
  // COORDINATOR_NOT_AVAILABLE answers queued before the run land on it.
  const std::string name = "kfinal-commit";
  ASSERT_EQ(kafka_->CreateTopic(name, kPartitions), "");
  testing::ProcessResult produced = ProduceFlights(kafka_->bootstrap(), name, kCount, 9200);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  ASSERT_EQ(kafka_->Command("push-errors OffsetCommit 15 2").rfind("ok", 0), 0u);
  testing::ProcessOptions run = SluiceKafkaRun(*emulator_, name, kafka_->bootstrap(), name, "g-" + name);
  run.argv.insert(run.argv.end(), {"--until-caught-up", "--commit-interval-ms", "60000", "--report", dir_ + "/1.json"});
  testing::ProcessResult r = testing::RunProcess(run, kRunTimeoutMs);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(emulator_->Stats(name).distinct_ids, kCount);
  testing::ProcessOptions again = SluiceKafkaRun(*emulator_, name, kafka_->bootstrap(), name, "g-" + name);
  again.argv.insert(again.argv.end(), {"--until-caught-up", "--report", dir_ + "/2.json"});
  testing::ProcessResult r2 = testing::RunProcess(again, kRunTimeoutMs);
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  RunReport second = ParseReport(ReadFileText(dir_ + "/2.json"));
  EXPECT_TRUE(second.parsed);
  EXPECT_EQ(second.consumed, 0) << "the final commit was lost to a transient error";
}

}  // namespace
}  // namespace sluice::faults
