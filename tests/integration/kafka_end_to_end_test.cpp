// End to end over TCP with the real executables: sluice-fake-flights (or kcat) produces into
// sluice-mock-kafka, `sluice run --until-caught-up` delivers into sluice-sink-emulator, and
// every stored row is checked against the expected mapping of its source record.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "tests/integration/integration_env.h"

namespace sluice::it {
namespace {

constexpr int kRunTimeoutMs = 100000;

class KafkaEndToEnd : public IntegrationSuite<KafkaEndToEnd> {
 protected:
  static void SetUpTestSuite() { StartShared({}); }  // each test makes its own topic

  /// Runs sluice from `topic` (group) into `sink` with --until-caught-up and checks the exit,
  /// the report, the emulator's counters and that everything read was committed.
  void RunAndCheck(const std::string& topic, int partitions, const std::string& group, const std::string& sink,
                   const std::string& payload, const ExpectedRows& expected) {
    const std::string report = dir_ + "/report-" + sink + ".json";
    SluiceRun run = KafkaRun(*emulator_, sink, kafka_->bootstrap(), topic, group);
    run.args.insert(run.args.end(), {"--until-caught-up", "--payload", payload, "--report", report});
    testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
    ASSERT_FALSE(r.timed_out) << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";

    const std::string json = ReadFileText(report);
    const auto n = static_cast<int64_t>(expected.rows().size());
    EXPECT_EQ(ReportInt(json, "delivered"), n) << json;
    EXPECT_EQ(ReportInt(json, "rejected"), 0) << json;
    EXPECT_NE(json.find("\"ok\": true"), std::string::npos) << json;

    SinkStats stats = emulator_->Stats(sink);
    ASSERT_TRUE(stats.ok);
    EXPECT_EQ(stats.distinct_ids, static_cast<uint64_t>(n));
    EXPECT_EQ(stats.duplicates, 0u);
    EXPECT_EQ(stats.rejected, 0u);
    EXPECT_EQ(CompareRows(emulator_->Rows(sink), expected.rows()), "");

    // Everything delivered is committed: the group sits at the end of every partition.
    std::string error;
    std::vector<int64_t> high = HighWatermarks(kafka_->bootstrap(), topic, partitions, &error);
    ASSERT_EQ(high.size(), static_cast<size_t>(partitions)) << error;
    std::vector<int64_t> committed = CommittedOffsets(kafka_->bootstrap(), group, topic, partitions, &error);
    ASSERT_EQ(committed.size(), static_cast<size_t>(partitions)) << error;
    for (int p = 0; p < partitions; ++p) {
      if (high[static_cast<size_t>(p)] == 0) continue;  // nothing to commit in an empty partition
      EXPECT_EQ(committed[static_cast<size_t>(p)], high[static_cast<size_t>(p)]) << "partition " << p;
    }
  }
};

TEST_F(KafkaEndToEnd, FiftyThousandFakeFlightsArriveExactlyRawAndMapped) {
  constexpr uint64_t kCount = 50000;
  constexpr uint64_t kSeed = 20240611;
  ASSERT_EQ(kafka_->CreateTopic("flights50k", 8), "");
  testing::ProcessResult produced = ProduceFlights(kafka_->bootstrap(), "flights50k", kCount, kSeed);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;

  ExpectedRows expected;
  ASSERT_TRUE(expected.ok()) << expected.error();
  ASSERT_TRUE(expected.AddGenerated(kSeed, kCount)) << expected.error();
  ASSERT_EQ(expected.rows().size(), kCount);

  {
    SCOPED_TRACE("--payload raw");
    RunAndCheck("flights50k", 8, "g1", "s1-raw", "raw", expected);
  }
  {
    SCOPED_TRACE("--payload mapped");
    RunAndCheck("flights50k", 8, "g1-mapped", "s1-mapped", "mapped", expected);
  }
}

TEST_F(KafkaEndToEnd, NdjsonFileProducedWithKcatArrivesExactly) {
  if (!HaveKcat()) GTEST_SKIP() << "kcat not installed";
  constexpr uint64_t kCount = 5000;
  constexpr uint64_t kSeed = 77;
  const std::string file = dir_ + "/flights.ndjson";
  ASSERT_NO_FATAL_FAILURE(Generate(file, kCount, kSeed));

  ASSERT_EQ(kafka_->CreateTopic("flights-kcat", 4), "");
  testing::ProcessResult k = KcatProduceFile(kafka_->bootstrap(), "flights-kcat", file);
  ASSERT_EQ(k.exit_code, 0) << k.err;

  // Expected rows from the file itself (not from the generator): what was produced is what counts.
  ExpectedRows expected;
  ASSERT_TRUE(expected.ok()) << expected.error();
  std::istringstream lines(ReadFileText(file));
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) {
      ASSERT_TRUE(expected.Add(line)) << expected.error();
    }
  }
  ASSERT_EQ(expected.rows().size(), kCount);

  RunAndCheck("flights-kcat", 4, "g-kcat", "s2", "raw", expected);
}

}  // namespace
}  // namespace sluice::it
