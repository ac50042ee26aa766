// File: tests/kafka_source/kafka_test_util.h
// Helpers shared by the KafkaSource test binaries: config for the shared mock cluster, polling
// until N records arrived, a SourceListener that records revocations.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "stages/kafka_source/kafka_source.h"
#include "tests/kafka_source/mock_cluster.h"

namespace sluice::stages {
namespace test {

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
inline KafkaSourceConfig TestConfig(const std::string& topic, const std::string& group) {
  KafkaSourceConfig c;
  c.brokers = sluice::testing::SharedMockCluster().bootstraps();
  c.topics = {topic};
  c.group_id = group;
  c.memory_budget_bytes = 64 << 20;
  c.commit_interval_ms = 200;
  c.properties = {{"heartbeat.interval.ms", "300"}, {"session.timeout.ms", "6000"}, {"log_level", "3"}};
  return c;
}

inline std::unique_ptr<KafkaSource> MustCreate(const KafkaSourceConfig& c) {
  auto s = KafkaSource::Create(c);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  return std::move(s).value();
}

// Polls once and appends what came to `out`.
inline void PollInto(KafkaSource& source, std::vector<Got>& out, int timeout_ms = 100) {
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
inline std::vector<Got> PollUntil(KafkaSource& source, size_t want) {
  std::vector<Got> got;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (got.size() < want && Clock::now() < deadline) PollInto(source, got);
  return got;
}

inline std::string Value(int partition, int64_t offset) {
  return "{\"p\":" + std::to_string(partition) + ",\"o\":" + std::to_string(offset) + "}";
}

inline void ProduceValues(const std::string& topic, int partition, int from, int count) {
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

}  // namespace test
}  // namespace sluice::stages
