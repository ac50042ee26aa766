// Failure paths end to end, real executables over TCP: a sink that answers 500 (the run fails
// and commits nothing; a second run after the fault delivers everything), and poison records
// (dead-lettered with their position with --dlq; stopping the run without it).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <simdjson.h>

#include <cstdio>
#include <set>

#include "tests/integration/integration_env.h"
#include "stages/generator_source/flight_generator.h"

namespace sluice::it {
namespace {

constexpr int kRunTimeoutMs = 100000;

class FailurePaths : public IntegrationSuite<FailurePaths> {
 protected:
  // Each test gets its own emulator: faults are global to an emulator process.
  static void SetUpTestSuite() { StartShared(SuiteSetup::EmulatorPerTest()); }
};

TEST_F(FailurePaths, SinkAnswering500FailsWithoutCommittingThenRecoveryDeliversEveryIdOnce) {
  constexpr uint64_t kCount = 5000;
  constexpr uint64_t kSeed = 500;
  constexpr int kPartitions = 4;
  const std::string topic = "flights-500";
  const std::string group = "g-500";
  ASSERT_EQ(kafka_->CreateTopic(topic, kPartitions), "");
  testing::ProcessResult produced = ProduceFlights(kafka_->bootstrap(), topic, kCount, kSeed);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  ASSERT_TRUE(emulator_->SetFaults("{\"error_500_rate\":1.0}"));

  SluiceRun failing = KafkaRun(*emulator_, "s500", kafka_->bootstrap(), topic, group);
  failing.args.insert(failing.args.end(), {"--until-caught-up", "-X", kShortSession, "--max-retries", "2", "--backoff-initial-ms", "10",
                                           "--backoff-max-ms", "50", "--report", dir_ + "/failing.json"});
  testing::ProcessResult r1 = testing::RunProcess(failing.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r1.timed_out) << "sluice did not give up on a sink that always answers 500\n" << r1.err;
  EXPECT_NE(r1.exit_code, 0) << r1.err;
  EXPECT_NE(r1.err.find("500"), std::string::npos) << "the failure should name the HTTP status\n" << r1.err;
  EXPECT_EQ(r1.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";
  const std::string report1 = ReadFileText(dir_ + "/failing.json");
  EXPECT_EQ(ReportInt(report1, "delivered"), 0) << report1;
  EXPECT_NE(report1.find("\"ok\": false"), std::string::npos) << report1;

  // Nothing was delivered, so nothing may be committed.
  std::string error;
  std::vector<int64_t> committed = CommittedOffsets(kafka_->bootstrap(), group, topic, kPartitions, &error);
  ASSERT_EQ(committed.size(), static_cast<size_t>(kPartitions)) << error;
  for (int p = 0; p < kPartitions; ++p)
    EXPECT_EQ(committed[static_cast<size_t>(p)], RD_KAFKA_OFFSET_INVALID) << "partition " << p << " has a commit";
  SinkStats during = emulator_->Stats("s500");
  ASSERT_TRUE(during.ok);
  EXPECT_EQ(during.distinct_ids, 0u);

  // Fault off: the same group re-reads everything and delivers it.
  ASSERT_TRUE(emulator_->SetFaults("{\"error_500_rate\":0.0}"));
  SluiceRun again = KafkaRun(*emulator_, "s500", kafka_->bootstrap(), topic, group);
  again.args.insert(again.args.end(), {"--until-caught-up", "-X", kShortSession, "--report", dir_ + "/again.json"});
  testing::ProcessResult r2 = testing::RunProcess(again.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r2.timed_out) << r2.err;
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(r2.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";
  EXPECT_EQ(ReportInt(ReadFileText(dir_ + "/again.json"), "delivered"), static_cast<int64_t>(kCount));

  ExpectedRows expected;
  ASSERT_TRUE(expected.ok()) << expected.error();
  ASSERT_TRUE(expected.AddGenerated(kSeed, kCount)) << expected.error();
  SinkStats stats = emulator_->Stats("s500");
  ASSERT_TRUE(stats.ok);
  EXPECT_EQ(stats.distinct_ids, kCount);
  std::printf("[ info ] emulator duplicates after recovery: %llu\n", static_cast<unsigned long long>(stats.duplicates));
  EXPECT_EQ(CompareRows(emulator_->Rows("s500"), expected.rows()), "");
  committed = CommittedOffsets(kafka_->bootstrap(), group, topic, kPartitions, &error);
  std::vector<int64_t> high = HighWatermarks(kafka_->bootstrap(), topic, kPartitions, &error);
  ASSERT_EQ(high.size(), static_cast<size_t>(kPartitions)) << error;
  ASSERT_EQ(committed.size(), static_cast<size_t>(kPartitions)) << error;
  for (int p = 0; p < kPartitions; ++p) {
    if (high[static_cast<size_t>(p)] > 0) {
      EXPECT_EQ(committed[static_cast<size_t>(p)], high[static_cast<size_t>(p)]) << "partition " << p;
    }
  }
}

/// Good flights with three poison messages among them, all on partition 0 so that each line's
/// offset is its line number.
struct PoisonTopic {
  std::string file_text;
  ExpectedRows good;
  struct Bad {
    int64_t offset;
    std::string reason_word;  ///< a word the rejection reason must contain
  };
  std::vector<Bad> bad;
};

PoisonTopic MakePoison() {
  PoisonTopic t;
  FlightGenerator gen(4242, 1);
  std::string json;
  int64_t offset = 0;
  auto good = [&](int n) {
    for (int i = 0; i < n; ++i, ++offset) {
      json.clear();
      gen.Next(json);
      t.good.Add(json);
      t.file_text += json + "\n";
    }
  };
  good(40);
  t.file_text += "{\"airline\":\"Broken Air\",\"flight_id\":900001,\"price\":\n";  // invalid JSON
  t.bad.push_back({offset++, "JSON"});
  good(40);
  t.file_text += "{\"airline\":\"No Id Air\",\"stops\":1,\"price\":300}\n";  // no flight_id
  t.bad.push_back({offset++, "_id"});
  good(40);
  t.file_text += "{\"airline\":\"Fine Print Air\",\"stops\":2,\"price\":641.005,\"flight_id\":900003}\n";
  t.bad.push_back({offset++, "fractional"});
  good(40);
  return t;
}

TEST_F(FailurePaths, PoisonRecordsGoToTheDeadLetterFileOrStopTheRun) {
  if (!HaveKcat()) GTEST_SKIP() << "kcat not installed";
  const std::string topic = "poison";
  ASSERT_EQ(kafka_->CreateTopic(topic, 1), "");
  PoisonTopic poison = MakePoison();
  ASSERT_TRUE(poison.good.ok()) << poison.good.error();
  ASSERT_EQ(poison.good.rows().size(), 160u);
  const std::string file = dir_ + "/poison.ndjson";
  WriteFileText(file, poison.file_text);
  testing::ProcessResult k = KcatProduceFile(kafka_->bootstrap(), topic, file, 0);
  ASSERT_EQ(k.exit_code, 0) << k.err;

  // With a dead-letter file: the run succeeds, good rows arrive, one DLQ line per bad record.
  const std::string dlq = dir_ + "/dead.ndjson";
  SluiceRun with_dlq = KafkaRun(*emulator_, "s-poison", kafka_->bootstrap(), topic, "g-poison-dlq");
  with_dlq.args.insert(with_dlq.args.end(),
                       {"--until-caught-up", "--dlq", "file:" + dlq, "--report", dir_ + "/dlq-report.json"});
  testing::ProcessResult r1 = testing::RunProcess(with_dlq.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r1.timed_out) << r1.err;
  EXPECT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r1.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";
  const std::string report = ReadFileText(dir_ + "/dlq-report.json");
  EXPECT_EQ(ReportInt(report, "delivered"), 160) << report;
  EXPECT_EQ(ReportInt(report, "dead_lettered"), 3) << report;
  EXPECT_EQ(CompareRows(emulator_->Rows("s-poison"), poison.good.rows()), "");

  std::istringstream lines(ReadFileText(dlq));
  std::string line;
  std::vector<std::string> dead;
  while (std::getline(lines, line))
    if (!line.empty()) dead.push_back(line);
  ASSERT_EQ(dead.size(), poison.bad.size()) << ReadFileText(dlq);
  simdjson::dom::parser parser;
  for (size_t i = 0; i < dead.size(); ++i) {
    SCOPED_TRACE(dead[i]);
    simdjson::dom::element e;
    simdjson::padded_string padded(dead[i]);
    ASSERT_FALSE(parser.parse(padded).get(e)) << "a dead-letter line is not JSON";
    std::string_view reason, t;
    int64_t partition = -1, offset = -1;
    ASSERT_FALSE(e["reason"].get_string().get(reason));
    ASSERT_FALSE(e["topic"].get_string().get(t));
    ASSERT_FALSE(e["partition"].get_int64().get(partition));
    ASSERT_FALSE(e["offset"].get_int64().get(offset));
    EXPECT_EQ(t, topic);
    EXPECT_EQ(partition, 0);
    EXPECT_EQ(offset, poison.bad[i].offset);
    EXPECT_NE(reason.find(poison.bad[i].reason_word), std::string_view::npos) << reason;
  }

  // Committed past the poison: the group sits at the end of the partition.
  std::string error;
  std::vector<int64_t> committed = CommittedOffsets(kafka_->bootstrap(), "g-poison-dlq", topic, 1, &error);
  ASSERT_EQ(committed.size(), 1u) << error;
  EXPECT_EQ(committed[0], 163);

  // Without --dlq: the run stops with a message naming where the first bad record sits and why.
  SluiceRun no_dlq = KafkaRun(*emulator_, "s-poison-stop", kafka_->bootstrap(), topic, "g-poison-stop");
  no_dlq.args.insert(no_dlq.args.end(), {"--until-caught-up"});
  testing::ProcessResult r2 = testing::RunProcess(no_dlq.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r2.timed_out) << r2.err;
  EXPECT_NE(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(r2.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";
  const std::string where = topic + "[0] offset " + std::to_string(poison.bad[0].offset);
  EXPECT_NE(r2.err.find(where), std::string::npos) << "expected \"" << where << "\" in:\n" << r2.err;
  EXPECT_NE(r2.err.find("invalid JSON"), std::string::npos) << r2.err;
  // Nothing at or after the poison record may be committed.
  committed = CommittedOffsets(kafka_->bootstrap(), "g-poison-stop", topic, 1, &error);
  ASSERT_EQ(committed.size(), 1u) << error;
  EXPECT_LE(committed[0], poison.bad[0].offset);
}

}  // namespace
}  // namespace sluice::it
