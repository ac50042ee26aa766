// File: tests/kafka_source/mock_cluster.h
// MockCluster: librdkafka's in-process mock Kafka cluster (one broker on loopback) plus a
// producer for test data. One instance per test binary (SharedMockCluster), because starting a
// cluster is cheap but consumer-group joins are not; tests use distinct topics and groups.
// Thread-safety: call from the test thread.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace sluice::testing {

class MockCluster {
 public:
  MockCluster() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (host_ == nullptr) Die(err);
    cluster_ = rd_kafka_mock_cluster_new(host_, 1);
    if (cluster_ == nullptr) Die("rd_kafka_mock_cluster_new failed");
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
    rd_kafka_conf_t* pconf = rd_kafka_conf_new();
    rd_kafka_conf_set(pconf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof(err));
    rd_kafka_conf_set(pconf, "linger.ms", "1", err, sizeof(err));
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof(err));
    if (producer_ == nullptr) Die(err);
  }
  ~MockCluster() {
    rd_kafka_flush(producer_, 5000);
    rd_kafka_destroy(producer_);
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(host_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  const std::string& bootstraps() const { return bootstraps_; }

  void CreateTopic(const std::string& topic, int partitions) {
    if (rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Die("mock topic create failed");
    }
  }

  /// Produces one message (value nullopt = tombstone) to a fixed partition; call Flush() after.
  void Produce(const std::string& topic, int partition, const std::optional<std::string>& value) {
    rd_kafka_resp_err_t err;
    if (value) {
      err = rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value->data()), value->size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    } else {
      err = rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_VALUE(nullptr, 0), RD_KAFKA_V_END);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) Die(rd_kafka_err2str(err));
  }
  /// Queues `errors` as the answers to the next requests with `api_key` (any connection).
  void PushRequestErrors(int16_t api_key, const std::vector<rd_kafka_resp_err_t>& errors) {
    rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
  }
  void Flush() {
    if (rd_kafka_flush(producer_, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) Die("producer flush timed out");
  }

 private:
  [[noreturn]] static void Die(const char* what) {
    std::fprintf(stderr, "mock cluster: %s\n", what);
    std::abort();
  }
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  rd_kafka_t* producer_ = nullptr;
  std::string bootstraps_;
};

/// One cluster per test binary, created on first use and deliberately never destroyed (avoids
/// static destruction order problems with librdkafka's threads).
inline MockCluster& SharedMockCluster() {
  static MockCluster* cluster = new MockCluster();
  return *cluster;
}

}  // namespace sluice::testing
