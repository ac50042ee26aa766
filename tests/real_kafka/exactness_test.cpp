// End to end against a real Apache Kafka broker (KRaft, devtools/kafka_broker): 200,000 fake
// flights produced by sluice-fake-flights, and an NDJSON file loaded with `kcat -P`, go through
// `sluice run --until-caught-up` into the sink emulator (its own process); every row is compared
// with the expected mapping of its source record, and the group's committed offsets (read back
// with rd_kafka_committed) must equal the partitions' end offsets.
#include <gtest/gtest.h>

#include <sstream>

#include "tests/real_kafka/real_kafka_env.h"

namespace sluice::realkafka {
namespace {

class RealKafkaExactness : public ::testing::Test {
 protected:
  void SetUp() override {
    SLUICE_REQUIRE_KAFKA_CLUSTER(cluster);
    cluster_ = cluster;
    std::string error;
    emulator_ = testing::EmulatorProcess::Start(kAccount, &error);
    ASSERT_NE(emulator_, nullptr) << error;
    dir_ = it::MakeTempDir();
  }
  void TearDown() override { it::RemoveTree(dir_); }

  /// `sluice run --until-caught-up` from `topic` into `sink`, then the exit, the report, the
  /// emulator's rows and the committed offsets.
  void RunAndCheck(const std::string& topic, int partitions, const std::string& group, const std::string& sink,
                   const it::ExpectedRows& expected) {
    const std::string report = dir_ + "/report-" + sink + ".json";
    it::SluiceRun run = it::KafkaRun(*emulator_, sink, cluster_->plaintext(), topic, group);
    run.args.insert(run.args.end(), {"--until-caught-up", "--report", report});
    ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
    ASSERT_FALSE(r.timed_out) << r.err;
    ASSERT_EQ(r.exit_code, 0) << r.err;

    const std::string json = testing::ReadFileText(report);
    const auto n = static_cast<int64_t>(expected.rows().size());
    EXPECT_EQ(testing::ReportInt(json, "delivered"), n) << json;
    EXPECT_EQ(testing::ReportInt(json, "rejected"), 0) << json;

    testing::SinkStats stats = emulator_->Stats(sink);
    ASSERT_TRUE(stats.ok);
    EXPECT_EQ(stats.distinct_ids, static_cast<uint64_t>(n));
    EXPECT_EQ(stats.duplicates, 0u);
    EXPECT_EQ(stats.rejected, 0u);
    EXPECT_EQ(it::CompareRows(emulator_->Rows(sink), expected.rows()), "");
    EXPECT_EQ(CommittedAtEnd(*cluster_, group, topic, partitions), "");
  }

  KafkaCluster* cluster_ = nullptr;
  std::unique_ptr<testing::EmulatorProcess> emulator_;
  std::string dir_;
};

TEST_F(RealKafkaExactness, TwoHundredThousandFakeFlightsArriveExactlyAndAreCommittedToTheEnd) {
  constexpr uint64_t kCount = 200000;
  constexpr uint64_t kSeed = 20261206;
  constexpr int kPartitions = 8;
  ASSERT_EQ(cluster_->CreateTopic("flights200k", kPartitions), "");
  ProcessResult produced = testing::ProduceFlights(cluster_->plaintext(), "flights200k", kCount, kSeed);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;

  it::ExpectedRows expected;
  ASSERT_TRUE(expected.ok()) << expected.error();
  ASSERT_TRUE(expected.AddGenerated(kSeed, kCount)) << expected.error();
  ASSERT_EQ(expected.rows().size(), kCount);
  RunAndCheck("flights200k", kPartitions, "g-200k", "s-200k", expected);
}

TEST_F(RealKafkaExactness, NdjsonFileLoadedWithKcatArrivesExactly) {
  constexpr uint64_t kCount = 20000;
  constexpr int kPartitions = 4;
  const std::string file = dir_ + "/flights.ndjson";
  ProcessResult g = testing::WriteFlightsFile(file, kCount, 4242);
  ASSERT_EQ(g.exit_code, 0) << g.err;

  ASSERT_EQ(cluster_->CreateTopic("flights-kcat", kPartitions), "");
  ProcessResult k = Kcat({"-P", "-b", cluster_->plaintext(), "-t", "flights-kcat", "-l", file}, "", dir_);
  ASSERT_EQ(k.exit_code, 0) << k.err;

  // Expected rows from the file itself: what was produced is what counts.
  it::ExpectedRows expected;
  ASSERT_TRUE(expected.ok()) << expected.error();
  std::istringstream lines(testing::ReadFileText(file));
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) {
      ASSERT_TRUE(expected.Add(line)) << expected.error();
    }
  }
  ASSERT_EQ(expected.rows().size(), kCount);
  RunAndCheck("flights-kcat", kPartitions, "g-kcat", "s-kcat", expected);
}

}  // namespace
}  // namespace sluice::realkafka
