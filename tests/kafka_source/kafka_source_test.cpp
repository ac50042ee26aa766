// Integration tests of KafkaSource against librdkafka's in-process mock cluster.
#include "stages/kafka_source/kafka_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/kafka_source/kafka_test_util.h"

namespace sluice::stages {
namespace {

using namespace test;  // NOLINT: test-local helpers

TEST(KafkaSource, PollReturnsAllRecordsWithPositions) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("all", 3);
  for (int p = 0; p < 3; ++p) ProduceValues("all", p, 0, 10);
  mc.Produce("all", 0, std::nullopt);  // tombstone at partition 0, offset 10
  mc.Flush();

  auto source = MustCreate(TestConfig("all", "g-all"));
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->Start(nullptr).ok());
  std::vector<Got> got = PollUntil(*source, 31);
  ASSERT_EQ(got.size(), 31u);

  std::set<std::pair<int32_t, int64_t>> seen;
  std::set<uint32_t> streams;
  for (const Got& g : got) {
    EXPECT_EQ(g.topic, "all");
    EXPECT_EQ(g.position.generation, 1u);
    streams.insert(g.position.stream);
    if (g.partition == 0 && g.position.offset == 10) {
      EXPECT_EQ(g.payload, "") << "a tombstone is an empty record, not dropped";
    } else {
      EXPECT_EQ(g.payload, Value(g.partition, g.position.offset));
    }
    EXPECT_TRUE(seen.insert({g.partition, g.position.offset}).second) << "duplicate";
  }
  EXPECT_EQ(streams.size(), 3u);
  for (uint32_t s : streams) EXPECT_LT(s, 3u) << "stream ids are dense";
  EXPECT_FALSE(source->Exhausted()) << "not a bounded run";
  EXPECT_TRUE(source->Close().ok());
}

TEST(KafkaSource, UntilCaughtUpExhaustsAfterPreexistingMessages) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("bounded", 3);
  ProduceValues("bounded", 0, 0, 5);
  ProduceValues("bounded", 1, 0, 7);  // partition 2 stays empty

  KafkaSourceConfig c = TestConfig("bounded", "g-bounded");
  c.until_caught_up = true;
  auto source = MustCreate(c);
  ASSERT_NE(source, nullptr);
  EXPECT_FALSE(source->Exhausted()) << "before the group was joined";
  ASSERT_TRUE(source->Start(nullptr).ok());
  EXPECT_FALSE(source->Exhausted());

  std::vector<Got> got;
  bool produced_more = false;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!source->Exhausted() && Clock::now() < deadline) {
    PollInto(*source, got);
    if (!produced_more && !source->AssignedStreams().empty()) {
      ProduceValues("bounded", 2, 0, 3);  // after the run started: not waited for
      produced_more = true;
    }
  }
  ASSERT_TRUE(source->Exhausted());
  std::set<std::pair<int32_t, int64_t>> seen;
  for (const Got& g : got) seen.insert({g.partition, g.position.offset});
  for (int o = 0; o < 5; ++o) EXPECT_TRUE(seen.count({0, o})) << "p0 offset " << o;
  for (int o = 0; o < 7; ++o) EXPECT_TRUE(seen.count({1, o})) << "p1 offset " << o;
  EXPECT_EQ(source->AssignedStreams().size(), 3u);
  EXPECT_TRUE(source->Close().ok());
}

TEST(KafkaSource, ReportsConsumerLagFromStatistics) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("lag", 2);
  ProduceValues("lag", 0, 0, 3);
  KafkaSourceConfig c = TestConfig("lag", "g-lag");
  c.statistics_interval_ms = 100;
  auto source = MustCreate(c);
  ASSERT_TRUE(source->Start(nullptr).ok());
  std::vector<Got> got;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while ((got.size() < 3 || source->Lag().size() < 2) && Clock::now() < deadline) PollInto(*source, got);
  std::vector<PartitionLag> lag = source->Lag();
  ASSERT_EQ(lag.size(), 2u);
  for (const PartitionLag& l : lag) EXPECT_EQ(l.topic, "lag");
  EXPECT_TRUE(source->Close().ok());
}

// The final commit on Close meets per-partition OffsetCommit errors (the mock answers the next
// OffsetCommit requests with a retriable error in every partition entry). Close must notice them
// in the partition list, commit again, and leave the stored offset committed.
TEST(KafkaSource, CloseRetriesAFinalCommitThatFailsPerPartition) {
  constexpr int16_t kOffsetCommitApiKey = 8;
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("final-commit", 2);
  for (int p = 0; p < 2; ++p) ProduceValues("final-commit", p, 0, 6);
  KafkaSourceConfig config = TestConfig("final-commit", "g-final-commit");
  config.commit_interval_ms = 600000;  // no background commit: the final commit meets the errors
  auto source = MustCreate(config);
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->Start(nullptr).ok());
  std::vector<Got> got = PollUntil(*source, 12);
  ASSERT_EQ(got.size(), 12u);
  std::map<int32_t, CommitPoint> points;
  for (const Got& g : got) points[g.partition] = {g.position.stream, g.position.generation, 4};
  ASSERT_TRUE(source->Store({points[0], points[1]}).ok());
  // Two refusals in a row: one for our commit, one for the commit librdkafka itself makes of the
  // stored offsets when it unassigns during close, so a single unchecked attempt cannot pass.
  mc.PushRequestErrors(kOffsetCommitApiKey, std::vector<rd_kafka_resp_err_t>(6, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT));
  Status closed = source->Close();
  EXPECT_TRUE(closed.ok()) << closed.ToString();
  const std::map<int32_t, int64_t> committed = CommittedOffsets("g-final-commit", "final-commit", {0, 1});
  EXPECT_THAT(committed, ::testing::ElementsAre(::testing::Pair(0, 4), ::testing::Pair(1, 4)));
}

// The mechanism behind the combined Kafka fault test's "committed offset stayed behind": an
// auto-commit of an older stored offset fails and librdkafka re-sends that same request after
// retry.backoff.ms (1 s here, to make the window wide), i.e. after the final commit on Close.
// Close must read the committed offset back after such retries and commit again.
TEST(KafkaSource, CloseRepairsAFinalCommitOverwrittenByALateRetriedAutoCommit) {
  constexpr int16_t kOffsetCommitApiKey = 8;
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("late-retry", 1);
  ProduceValues("late-retry", 0, 0, 6);
  KafkaSourceConfig config = TestConfig("late-retry", "g-late-retry");
  config.properties.emplace_back("retry.backoff.ms", "1000");
  auto source = MustCreate(config);
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->Start(nullptr).ok());
  std::vector<Got> got = PollUntil(*source, 6);
  ASSERT_EQ(got.size(), 6u);
  const SourcePosition& pos = got[0].position;
  ASSERT_TRUE(source->Store({{pos.stream, pos.generation, 2}}).ok());
  // The next auto-commit (of offset 2, every 200 ms) fails once and is re-sent 1 s later.
  mc.PushRequestErrors(kOffsetCommitApiKey, {RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT});
  std::vector<Got> more;
  for (int i = 0; i < 6; ++i) PollInto(*source, more, 100);
  ASSERT_TRUE(source->Store({{pos.stream, pos.generation, 5}}).ok());
  Status closed = source->Close();
  EXPECT_TRUE(closed.ok()) << closed.ToString();
  const std::map<int32_t, int64_t> committed = CommittedOffsets("g-late-retry", "late-retry", {0});
  EXPECT_THAT(committed, ::testing::ElementsAre(::testing::Pair(0, 5)));
}

TEST(KafkaSourceConfig, ForbiddenOverrideNamesTheProperty) {
  KafkaSourceConfig c = TestConfig("x", "g");
  c.properties.push_back({"enable.auto.offset.store", "true"});
  auto s = KafkaSource::Create(c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("\"enable.auto.offset.store\" cannot be overridden"));

  c.properties.back() = {"enable.auto.commit", "false"};
  Status v = Validate(c);
  EXPECT_EQ(v.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(v.message(), HasSubstr("enable.auto.commit"));
}

TEST(KafkaSourceConfig, UnknownOrInvalidPropertyIsNamedWithoutSecrets) {
  KafkaSourceConfig c = TestConfig("x", "g");
  c.properties = {{"sasl.password", "S3cretPassw0rd"}, {"no.such.property", "1"}};
  Status v = Validate(c);
  EXPECT_EQ(v.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(v.message(), HasSubstr("no.such.property"));
  EXPECT_THAT(v.message(), Not(HasSubstr("S3cretPassw0rd")));

  c.properties = {{"fetch.wait.max.ms", "banana"}};
  v = Validate(c);
  EXPECT_EQ(v.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(v.message(), HasSubstr("fetch.wait.max.ms"));

  c.properties = {{"ssl.key.password", "An0therSecret"}, {"security.protocol", "An0therSecret"}};
  v = Validate(c);
  EXPECT_EQ(v.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(v.message(), HasSubstr("security.protocol"));
}

TEST(KafkaSourceConfig, ValidateRejectsMissingFields) {
  KafkaSourceConfig c = TestConfig("x", "g");
  EXPECT_TRUE(Validate(c).ok());
  KafkaSourceConfig no_brokers = c;
  no_brokers.brokers.clear();
  EXPECT_EQ(Validate(no_brokers).code(), StatusCode::kInvalidArgument);
  KafkaSourceConfig no_topics = c;
  no_topics.topics.clear();
  EXPECT_EQ(Validate(no_topics).code(), StatusCode::kInvalidArgument);
  KafkaSourceConfig no_group = c;
  no_group.group_id.clear();
  EXPECT_EQ(Validate(no_group).code(), StatusCode::kInvalidArgument);
  KafkaSourceConfig bad_reset = c;
  bad_reset.auto_offset_reset = "middle";
  EXPECT_EQ(Validate(bad_reset).code(), StatusCode::kInvalidArgument);
  KafkaSourceConfig tiny = c;
  tiny.memory_budget_bytes = 1 << 20;
  EXPECT_EQ(Validate(tiny).code(), StatusCode::kInvalidArgument);
}

TEST(KafkaSourceConfig, DerivesLimitsFromMemoryBudget) {
  auto props = DeriveMemoryProperties(int64_t{512} << 20);
  std::map<std::string, std::string> m(props.begin(), props.end());
  EXPECT_EQ(m["queued.max.messages.kbytes"], "131072");  // 128 MiB
  EXPECT_EQ(m["fetch.max.bytes"], "4194304");            // 4 MiB: B/128
  EXPECT_EQ(m["max.partition.fetch.bytes"], "524288");   // 512 KiB
  EXPECT_EQ(m["queued.min.messages"], "131072");
}

// The fetch limits count compressed bytes, the queue limits decompressed ones: a fetch response
// unpacked 8 times (zstd on JSON) must still fit a sixteenth of the budget, on top of the
// queue's quarter, wherever librdkafka's 1 MiB floor does not decide.
TEST(KafkaSourceConfig, ACompressedFetchUnpackedStillFitsTheBudget) {
  for (int64_t mib : {128, 256, 1024, 4096}) {
    const int64_t budget = mib << 20;
    auto props = DeriveMemoryProperties(budget);
    std::map<std::string, std::string> m(props.begin(), props.end());
    const int64_t fetch = std::stoll(m["fetch.max.bytes"]);
    const int64_t partition = std::stoll(m["max.partition.fetch.bytes"]);
    EXPECT_LE(fetch * 8, budget / 16) << mib << " MiB";
    EXPECT_LE(partition, fetch) << mib << " MiB";
  }
  // --memory-budget 256MiB gives librdkafka 128 MiB: the floors.
  auto props = DeriveMemoryProperties(int64_t{128} << 20);
  std::map<std::string, std::string> m(props.begin(), props.end());
  EXPECT_EQ(m["fetch.max.bytes"], "1048576");
  EXPECT_EQ(m["max.partition.fetch.bytes"], "262144");
}

TEST(ConsumerLag, ParsesFetchedPartitionsAndSkipsInternalAndRevokedOnes) {
  const std::string json = R"({"topics":{"t":{"partitions":{
      "0":{"fetch_state":"active","consumer_lag":7},
      "1":{"fetch_state":"none","consumer_lag":-1},
      "2":{"fetch_state":"stopped","consumer_lag":40},
      "3":{"fetch_state":"stopping","consumer_lag":40},
      "-1":{"fetch_state":"none","consumer_lag":-1}}}}})";
  auto lag = ParseConsumerLag(json);
  ASSERT_TRUE(lag.ok());
  ASSERT_EQ(lag->size(), 1u);
  EXPECT_EQ((*lag)[0].topic, "t");
  EXPECT_EQ((*lag)[0].partition, 0);
  EXPECT_EQ((*lag)[0].consumer_lag, 7);
  EXPECT_EQ(ParseConsumerLag("{not json").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::stages
