// File: tests/real_kafka/broker_admin.cpp
// See broker_admin.h.
#include "tests/real_kafka/broker_admin.h"

#include <librdkafka/rdkafka.h>

#include <thread>

namespace sluice::realkafka {
namespace {

rd_kafka_t* NewClient(const std::string& brokers, std::string* error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    *error = err;
    return nullptr;
  }
  // A stopped broker of a 3-node cluster is expected in the failover test; its connection
  // errors are not the test's business.
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) *error = err;
  return rk;
}

}  // namespace

std::string CreateTopicWithLeaders(const std::string& bootstrap, const std::string& topic,
                                   const std::vector<int32_t>& leaders, const std::vector<int32_t>& broker_ids,
                                   const std::vector<std::pair<std::string, std::string>>& configs) {
  std::string error;
  rd_kafka_t* rk = NewClient(bootstrap, &error);
  if (rk == nullptr) return error;
  char err[512];
  // With a replica assignment the partition count and replication factor come from it (-1).
  rd_kafka_NewTopic_t* nt =
      rd_kafka_NewTopic_new(topic.c_str(), static_cast<int>(leaders.size()), -1, err, sizeof(err));
  if (nt == nullptr) {
    rd_kafka_destroy(rk);
    return err;
  }
  for (size_t p = 0; p < leaders.size() && error.empty(); ++p) {
    std::vector<int32_t> replicas = {leaders[p]};
    for (int32_t id : broker_ids) {
      if (id != leaders[p]) replicas.push_back(id);
    }
    if (rd_kafka_NewTopic_set_replica_assignment(nt, static_cast<int32_t>(p), replicas.data(), replicas.size(), err,
                                                 sizeof(err)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error = std::string("replica assignment: ") + err;
    }
  }
  for (const auto& [name, value] : configs) rd_kafka_NewTopic_set_config(nt, name.c_str(), value.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, 30000, err, sizeof(err));
  if (error.empty()) {
    rd_kafka_CreateTopics(rk, &nt, 1, options, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 60000);
    if (ev == nullptr) {
      error = "CreateTopics: no answer in 60 s";
    } else {
      if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        error = std::string("CreateTopics: ") + rd_kafka_event_error_string(ev);
      } else {
        size_t n = 0;
        const rd_kafka_topic_result_t** results =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        for (size_t i = 0; i < n; ++i) {
          if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            error = "CreateTopics " + topic + ": " + rd_kafka_topic_result_error_string(results[i]);
          }
        }
      }
      rd_kafka_event_destroy(ev);
    }
  }
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  if (!error.empty()) return error;
  return WaitForLeaders(bootstrap, topic, -1, static_cast<int>(broker_ids.size()), std::chrono::seconds(30));
}

std::vector<PartitionState> PartitionLeaders(const std::string& brokers, const std::string& topic, std::string* error) {
  rd_kafka_t* rk = NewClient(brokers, error);
  if (rk == nullptr) return {};
  std::vector<PartitionState> out;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t rc = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("metadata: ") + rd_kafka_err2str(rc);
  } else if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = "metadata: topic " + topic + ": " +
             (md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : std::string("absent"));
  } else {
    const rd_kafka_metadata_topic_t& t = md->topics[0];
    out.resize(static_cast<size_t>(t.partition_cnt));
    for (int i = 0; i < t.partition_cnt; ++i) {
      const rd_kafka_metadata_partition_t& p = t.partitions[i];
      if (p.id < 0 || p.id >= t.partition_cnt) continue;
      out[static_cast<size_t>(p.id)] = PartitionState{p.leader, p.isr_cnt, p.replica_cnt};
    }
  }
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return out;
}

std::string WaitForLeaders(const std::string& brokers, const std::string& topic, int32_t excluded, int min_isr,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (true) {
    std::string error;
    const std::vector<PartitionState> state = PartitionLeaders(brokers, topic, &error);
    bool ready = error.empty() && !state.empty();
    last = error;
    for (size_t p = 0; p < state.size(); ++p) {
      const bool ok = state[p].leader >= 0 && state[p].leader != excluded && state[p].isr >= min_isr;
      ready = ready && ok;
      last += (last.empty() ? "" : " ") + std::to_string(p) + ":leader " + std::to_string(state[p].leader) + "/isr " +
              std::to_string(state[p].isr);
    }
    if (ready) return "";
    if (std::chrono::steady_clock::now() >= deadline) return "partitions of " + topic + " not ready: " + last;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the poll interval
  }
}

}  // namespace sluice::realkafka
