// `--dlq kafka:TOPIC` on a real broker: rejected records (invalid JSON, a null value, a record
// the sink refuses) are produced to the dead-letter topic with the original key, value and
// headers followed by sluice.* headers (docs/dead-letters.md), read back with `kcat -J`; the
// good records arrive, and the group commits to the end only because every letter was
// acknowledged by the broker (acks=all, enforced for the dead-letter producer).
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "tests/real_kafka/real_kafka_env.h"

namespace sluice::realkafka {
namespace {

using Message = testing::KafkaMessage;
using testing::ParseKcatJson;

TEST(RealKafkaDeadLetters, RejectedRecordsReachTheDeadLetterTopicWithKeyHeadersAndOrigin) {
  SLUICE_REQUIRE_KAFKA_CLUSTER(cluster);
  const std::string dir = it::MakeTempDir();
  const std::string topic = "dlq-source";
  const std::string dlq = "dlq-letters";
  const std::string bootstrap = cluster->plaintext();
  ASSERT_EQ(cluster->CreateTopic(topic, 1), "");
  ASSERT_EQ(cluster->CreateTopic(dlq, 1), "");
  auto produce = [&](const std::string& lines, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"-P", "-b", bootstrap, "-t", topic, "-p", "0", "-K:"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Kcat(args, lines, dir);
    ASSERT_EQ(r.exit_code, 0) << r.all();
  };
  produce(it::KeyedFlights(1, 10, "k"), {"-H", "src=fleet"});                                    // offsets 0-9
  produce("k-bad:{\"flight_id\": 77, \"price\":\n", {"-H", "trace=t-10", "-H", "tenant=acme"});  // 10
  produce("k-tomb:\n", {"-Z", "-H", "trace=t-11"});                                              // 11: null value
  produce(it::KeyedFlights(1001, 10, "k"), {"-H", "src=fleet"});                                 // offsets 12-21

  std::string error;
  auto emulator = testing::EmulatorProcess::Start(kAccount, &error);
  ASSERT_NE(emulator, nullptr) << error;
  ASSERT_TRUE(emulator->SetFaults("{\"reject_ids\":[1005]}"));  // offset 16: refused by the sink
  it::SluiceRun run = it::KafkaRun(*emulator, "s-dlq", bootstrap, topic, "g-dlq");
  run.args.insert(run.args.end(), {"--until-caught-up", "--dlq", "kafka:" + dlq, "--report", dir + "/r.json"});
  ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r.timed_out) << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.all();
  const std::string report = testing::ReadFileText(dir + "/r.json");
  EXPECT_EQ(testing::ReportInt(report, "delivered"), 19) << report;
  EXPECT_EQ(testing::ReportInt(report, "dead_lettered"), 3) << report;
  EXPECT_EQ(emulator->Stats("s-dlq").distinct_ids, 19u);
  EXPECT_EQ(CommittedAtEnd(*cluster, "g-dlq", topic, 1), "");

  ProcessResult read = Kcat({"-C", "-J", "-e", "-q", "-o", "beginning", "-b", bootstrap, "-t", dlq}, "", dir);
  ASSERT_EQ(read.exit_code, 0) << read.all();
  std::vector<Message> letters = ParseKcatJson(read.out, &error);
  ASSERT_EQ(error, "");
  ASSERT_EQ(letters.size(), 3u) << read.out;
  std::map<std::string, const Message*> by_offset;
  for (const Message& m : letters) by_offset[m.Header("sluice.offset")] = &m;
  ASSERT_EQ(by_offset.size(), 3u) << read.out;
  ASSERT_TRUE(by_offset.count("10") && by_offset.count("11") && by_offset.count("16")) << read.out;

  const Message& bad = *by_offset["10"];
  EXPECT_EQ(bad.key, std::optional<std::string>("k-bad"));
  EXPECT_EQ(bad.value, std::optional<std::string>("{\"flight_id\": 77, \"price\":"));
  ASSERT_GE(bad.headers.size(), 2u);
  EXPECT_EQ(bad.headers[0].first, "trace");  // the original headers first, in order
  EXPECT_EQ(bad.headers[1].first, "tenant");
  EXPECT_EQ(bad.Header("sluice.stage"), "parse");
  EXPECT_EQ(bad.Header("sluice.topic"), topic);
  EXPECT_EQ(bad.Header("sluice.partition"), "0");

  const Message& tomb = *by_offset["11"];
  EXPECT_EQ(tomb.key, std::optional<std::string>("k-tomb"));
  EXPECT_FALSE(tomb.value.has_value()) << "a tombstone must stay a null value";
  EXPECT_NE(tomb.Header("sluice.reason").find("null value (tombstone)"), std::string::npos);

  const Message& refused = *by_offset["16"];
  EXPECT_EQ(refused.key, std::optional<std::string>("k1005"));
  EXPECT_EQ(refused.Header("src"), "fleet");
  EXPECT_EQ(refused.Header("sluice.stage"), "sink");
  it::RemoveTree(dir);
}

}  // namespace
}  // namespace sluice::realkafka
