// File: tests/kafka_source/kafka_test_util.h
// Helpers shared by the KafkaSource test binaries: config for the shared mock cluster, polling
// until N records arrived, a SourceListener that records revocations.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
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
  // SLUICE_KAFKA_TEST_DEBUG=cgrp,topic (librdkafka debug contexts) when investigating a failure.
  if (const char* debug = std::getenv("SLUICE_KAFKA_TEST_DEBUG"); debug != nullptr && *debug != '\0') {
    c.properties = {{"heartbeat.interval.ms", "300"}, {"session.timeout.ms", "6000"}, {"debug", debug}};
  }
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

// The group's committed offset of each partition in `partitions`, read through a separate
// consumer handle that never joins the group (so it cannot trigger a rebalance). -1 when the
// partition has no committed offset; empty (with a test failure) when the query failed.
inline std::map<int32_t, int64_t> CommittedOffsets(const std::string& group, const std::string& topic,
                                                   const std::set<int32_t>& partitions) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::string brokers = sluice::testing::SharedMockCluster().bootstraps();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "group.id", group.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    ADD_FAILURE() << errstr;
    rd_kafka_conf_destroy(conf);
    return {};
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    ADD_FAILURE() << errstr;
    return {};
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (int32_t p : partitions) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  std::map<int32_t, int64_t> result;
  const rd_kafka_resp_err_t err = rd_kafka_committed(rk, list, 20000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ADD_FAILURE() << "rd_kafka_committed: " << rd_kafka_err2name(err);
  } else {
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = list->elems[i];
      EXPECT_EQ(tp.err, RD_KAFKA_RESP_ERR_NO_ERROR) << "partition " << tp.partition << ": " << rd_kafka_err2name(tp.err);
      result[tp.partition] = tp.offset >= 0 ? tp.offset : -1;
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  return result;
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
