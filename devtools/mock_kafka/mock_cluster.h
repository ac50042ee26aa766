// File: devtools/mock_kafka/mock_cluster.h
// MockCluster: an in-process librdkafka mock Kafka cluster (rdkafka_mock.h) listening on
// loopback, plus CountTopicMessages()/CountPartitionMessages() to check what a topic holds,
// and ParseApiKey()/ParseErrorCode() to turn names such as "Fetch" or "NOT_LEADER_FOR_PARTITION"
// into protocol numbers. Used by sluice-mock-kafka, the `sluice demo` command and the tests.
//
// Limits of the mock (librdkafka 2.0.2): each partition keeps at most ~5 MiB of record batches
// and silently drops the oldest ones beyond that (the low watermark moves up); a new consumer
// group join takes ~3 s; the CreateTopics admin API is not supported (use CreateTopic()).
//
// Thread-safety: every MockCluster method may be called from any thread (librdkafka posts each
// request to the mock cluster's own thread). Destroy the object only once no call is running.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace sluice {

class MockCluster {
 public:
  /// Starts a mock cluster with brokers 1..broker_count on 127.0.0.1 (ephemeral ports).
  /// Returns InvalidArgument for broker_count < 1, Internal if librdkafka fails.
  [[nodiscard]] static StatusOr<std::unique_ptr<MockCluster>> Create(int broker_count);

  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  /// Comma-separated "127.0.0.1:PORT" list for bootstrap.servers; stable for the object's life.
  [[nodiscard]] std::string Bootstraps() const;
  [[nodiscard]] int broker_count() const { return broker_count_; }

  /// Creates `name` with `partitions` partitions (replication factor 1). Creating an existing
  /// topic fails with FailedPrecondition (TOPIC_ALREADY_EXISTS).
  [[nodiscard]] Status CreateTopic(const std::string& name, int partitions);
  /// Disconnects broker `id` and refuses new connections (down=true), or accepts them again.
  /// Does not move partition leadership. id must be 1..broker_count, or -1 for all brokers.
  [[nodiscard]] Status SetBrokerDown(int id, bool down);
  /// The next `count` requests with protocol `api_key` (e.g. 1 = Fetch) fail with `error_code`
  /// (a rd_kafka_resp_err_t value; -195 = _TRANSPORT makes the broker disconnect).
  [[nodiscard]] Status PushRequestErrors(int api_key, int error_code, int count);
  /// Delays every response of broker `broker` (or -1 for all) by `ms` milliseconds.
  [[nodiscard]] Status SetRtt(int broker, int ms);
  /// Makes the cluster behave like a broker with auto.create.topics.enable=true that honours
  /// the client's allow.auto.create.topics: the mock reads that flag only from Metadata v4 on
  /// and creates every topic named in an older request, so Metadata is raised to v4 (as real
  /// brokers negotiate). A client that does not allow auto-creation then gets
  /// UNKNOWN_TOPIC_OR_PART for a missing topic instead of a new empty one.
  [[nodiscard]] Status HonourAllowAutoCreate();

 private:
  MockCluster(rd_kafka_s* rk, rd_kafka_mock_cluster_s* mcluster, int broker_count);
  [[nodiscard]] Status CheckBrokerId(int id) const;

  rd_kafka_s* rk_;                      // owned: the dummy producer that hosts the cluster
  rd_kafka_mock_cluster_s* mcluster_;   // owned: destroyed before rk_
  int broker_count_;
};

/// Messages currently held by each partition of `topic` (high minus low watermark), indexed by
/// partition id. Uses a short-lived client of its own; blocks up to about `timeout_ms`.
/// NotFound if the topic does not exist, DeadlineExceeded/Unavailable if brokers do not answer.
[[nodiscard]] StatusOr<std::vector<int64_t>> CountPartitionMessages(const std::string& brokers,
                                                                    const std::string& topic,
                                                                    int timeout_ms);
/// Sum of CountPartitionMessages() over all partitions.
[[nodiscard]] StatusOr<int64_t> CountTopicMessages(const std::string& brokers,
                                                   const std::string& topic, int timeout_ms);

/// Kafka protocol ApiKey from a name ("Produce", "fetch", "OffsetCommit", ...) or a number.
[[nodiscard]] StatusOr<int> ParseApiKey(std::string_view text);
/// rd_kafka_resp_err_t value from a name as librdkafka spells it, with or without the
/// "RD_KAFKA_RESP_ERR_" prefix, any case ("NOT_LEADER_FOR_PARTITION", "_TRANSPORT"), or a number.
[[nodiscard]] StatusOr<int> ParseErrorCode(std::string_view text);

}  // namespace sluice
