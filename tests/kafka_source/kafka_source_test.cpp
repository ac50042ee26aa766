// Integration tests of KafkaSource against librdkafka's in-process mock cluster.
#include "stages/kafka_source/kafka_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/kafka_source/mock_cluster.h"

namespace sluice::stages {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

struct Got {
  std::string topic;
  int32_t partition;
  SourcePosition position;
  std::string payload;
};

// Common test settings: quick heartbeats so rebalances are noticed fast.
KafkaSourceConfig TestConfig(const std::string& topic, const std::string& group) {
  KafkaSourceConfig c;
  c.brokers = sluice::testing::SharedMockCluster().bootstraps();
  c.topics = {topic};
  c.group_id = group;
  c.memory_budget_bytes = 64 << 20;
  c.commit_interval_ms = 200;
  c.properties = {{"heartbeat.interval.ms", "300"}, {"session.timeout.ms", "6000"}, {"log_level", "3"}};
  return c;
}

std::unique_ptr<KafkaSource> MustCreate(const KafkaSourceConfig& c) {
  auto s = KafkaSource::Create(c);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  return std::move(s).value();
}

// Polls once and appends what came to `out`.
void PollInto(KafkaSource& source, std::vector<Got>& out, int timeout_ms = 100) {
  RecordChunk chunk;
  StatusOr<size_t> n = source.Poll(chunk, 1000, timeout_ms);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(chunk.records.size(), *n);
  for (size_t i = 0; i < chunk.records.size(); ++i) {
    StreamInfo info = source.DescribeStream(chunk.records[i].position.stream);
    out.push_back(Got{info.name, info.partition, chunk.records[i].position, std::string(chunk.Payload(i))});
  }
}

// Polls until `want` records arrived or 30 s passed.
std::vector<Got> PollUntil(KafkaSource& source, size_t want) {
  std::vector<Got> got;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (got.size() < want && Clock::now() < deadline) PollInto(source, got);
  return got;
}

std::string Value(int partition, int64_t offset) {
  return "{\"p\":" + std::to_string(partition) + ",\"o\":" + std::to_string(offset) + "}";
}

void ProduceValues(const std::string& topic, int partition, int from, int count) {
  auto& mc = sluice::testing::SharedMockCluster();
  for (int i = from; i < from + count; ++i) mc.Produce(topic, partition, Value(partition, i));
  mc.Flush();
}

class RecordingListener : public SourceListener {
 public:
  std::vector<CommitPoint> OnStreamsRevoked(const std::vector<uint32_t>& streams) override {
    revoked.insert(revoked.end(), streams.begin(), streams.end());
    std::vector<CommitPoint> points;
    for (uint32_t s : streams) {
      if (commit_at.count(s) != 0) points.push_back(commit_at[s]);
    }
    return points;
  }
  std::vector<uint32_t> revoked;
  std::map<uint32_t, CommitPoint> commit_at;
};

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

TEST(KafkaSource, UntilCaughtUpTreatsFullyCommittedPartitionAsDone) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("committed", 1);
  ProduceValues("committed", 0, 0, 4);
  {
    auto first = MustCreate(TestConfig("committed", "g-committed"));
    ASSERT_TRUE(first->Start(nullptr).ok());
    std::vector<Got> got = PollUntil(*first, 4);
    ASSERT_EQ(got.size(), 4u);
    ASSERT_TRUE(first->Store({{got[0].position.stream, got[0].position.generation, 4}}).ok());
    ASSERT_TRUE(first->Close().ok());
  }
  KafkaSourceConfig c = TestConfig("committed", "g-committed");
  c.until_caught_up = true;
  auto second = MustCreate(c);
  ASSERT_TRUE(second->Start(nullptr).ok());
  std::vector<Got> got;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!second->Exhausted() && Clock::now() < deadline) PollInto(*second, got);
  EXPECT_TRUE(second->Exhausted());
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(second->Close().ok());
}

TEST(KafkaSource, StoreAndCloseResumeExactlyAtStoredOffset) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("resume", 1);
  ProduceValues("resume", 0, 0, 10);
  {
    auto first = MustCreate(TestConfig("resume", "g-resume"));
    ASSERT_TRUE(first->Start(nullptr).ok());
    std::vector<Got> got = PollUntil(*first, 10);
    ASSERT_EQ(got.size(), 10u);
    ASSERT_TRUE(first->Store({{got[0].position.stream, got[0].position.generation, 6}}).ok());
    ASSERT_TRUE(first->Close().ok());
  }
  auto second = MustCreate(TestConfig("resume", "g-resume"));
  ASSERT_TRUE(second->Start(nullptr).ok());
  std::vector<Got> got = PollUntil(*second, 4);
  // Give a little extra time for anything unexpected (an offset below 6) to show up.
  for (int i = 0; i < 5; ++i) PollInto(*second, got);
  std::vector<int64_t> offsets;
  for (const Got& g : got) offsets.push_back(g.position.offset);
  EXPECT_THAT(offsets, ::testing::ElementsAre(6, 7, 8, 9));
  EXPECT_TRUE(second->Close().ok());
}

TEST(KafkaSource, UnstoredAndStaleRecordsAreRedeliveredAfterRestart) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("redeliver", 1);
  ProduceValues("redeliver", 0, 0, 5);
  {
    auto first = MustCreate(TestConfig("redeliver", "g-redeliver"));
    ASSERT_TRUE(first->Start(nullptr).ok());
    std::vector<Got> got = PollUntil(*first, 5);
    ASSERT_EQ(got.size(), 5u);
    // A point from an older generation is ignored: it must not move the committed offset.
    ASSERT_TRUE(first->Store({{got[0].position.stream, got[0].position.generation + 1, 3}}).ok());
    ASSERT_TRUE(first->Close().ok());
  }
  auto second = MustCreate(TestConfig("redeliver", "g-redeliver"));
  ASSERT_TRUE(second->Start(nullptr).ok());
  std::vector<Got> got = PollUntil(*second, 5);
  std::vector<int64_t> offsets;
  for (const Got& g : got) offsets.push_back(g.position.offset);
  EXPECT_THAT(offsets, ::testing::ElementsAre(0, 1, 2, 3, 4));
  EXPECT_TRUE(second->Close().ok());
}

TEST(KafkaSource, TwoInstancesSplitPartitionsAndRevokeCommitsListenerPoints) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("split", 4);
  for (int p = 0; p < 4; ++p) ProduceValues("split", p, 0, 5);

  RecordingListener listener_a;
  auto a = MustCreate(TestConfig("split", "g-split"));
  ASSERT_TRUE(a->Start(&listener_a).ok());
  std::vector<Got> got_a = PollUntil(*a, 20);
  ASSERT_EQ(got_a.size(), 20u);
  ASSERT_EQ(a->AssignedStreams().size(), 4u);
  // When a stream is revoked, A's pipeline "acknowledged" its first 3 records.
  for (const Got& g : got_a) listener_a.commit_at[g.position.stream] = {g.position.stream, g.position.generation, 3};

  RecordingListener listener_b;
  auto b = MustCreate(TestConfig("split", "g-split"));
  ASSERT_TRUE(b->Start(&listener_b).ok());
  std::vector<Got> got_b;
  auto deadline = Clock::now() + std::chrono::seconds(40);
  while ((a->AssignedStreams().size() != 2 || b->AssignedStreams().size() != 2 || got_b.size() < 4) &&
         Clock::now() < deadline) {
    PollInto(*a, got_a, 50);
    PollInto(*b, got_b, 50);
  }
  ASSERT_EQ(a->AssignedStreams().size(), 2u);
  ASSERT_EQ(b->AssignedStreams().size(), 2u);
  ASSERT_EQ(listener_a.revoked.size(), 2u) << "cooperative: only the moved partitions are revoked";
  std::set<int32_t> partitions;
  for (uint32_t s : a->AssignedStreams()) partitions.insert(a->DescribeStream(s).partition);
  std::set<int32_t> moved;
  for (uint32_t s : listener_a.revoked) moved.insert(a->DescribeStream(s).partition);
  for (uint32_t s : b->AssignedStreams()) {
    int32_t p = b->DescribeStream(s).partition;
    EXPECT_TRUE(partitions.insert(p).second) << "partition " << p << " owned twice";
    EXPECT_TRUE(moved.count(p)) << "B got a partition A was not asked to give up";
  }
  EXPECT_EQ(partitions.size(), 4u);
  // B starts the moved partitions exactly where A's revoke commit put them.
  std::map<int32_t, std::vector<int64_t>> offsets_b;
  for (const Got& g : got_b) offsets_b[g.partition].push_back(g.position.offset);
  for (int32_t p : moved) EXPECT_THAT(offsets_b[p], ::testing::ElementsAre(3, 4)) << "partition " << p;
  EXPECT_TRUE(listener_b.revoked.empty());
  EXPECT_TRUE(a->Close().ok());
  EXPECT_TRUE(b->Close().ok());
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
  EXPECT_EQ(m["fetch.max.bytes"], "33554432");            // 32 MiB
  EXPECT_EQ(m["max.partition.fetch.bytes"], "4194304");   // 4 MiB
  EXPECT_EQ(m["queued.min.messages"], "131072");
}

TEST(ConsumerLag, ParsesPartitionsAndSkipsInternalOne) {
  const std::string json = R"({"topics":{"t":{"partitions":{
      "0":{"fetch_state":"active","consumer_lag":7},
      "1":{"fetch_state":"none","consumer_lag":-1},
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
