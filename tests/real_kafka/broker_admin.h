// File: tests/real_kafka/broker_admin.h
// Admin calls the failover test makes on a real Kafka cluster with librdkafka:
//  - CreateTopicWithLeaders(): a topic whose preferred leader of each partition is given (the
//    replica list starts with it), so that stopping one broker moves the leadership of a
//    known set of partitions; replication factor = the brokers listed; topic configs;
//  - PartitionLeaders(): the leader broker id of every partition (and the ISR sizes), from
//    metadata, so that the failover test stops the broker that leads a given set of partitions;
//  - WaitForLeaders(): polls until every partition has a leader that is not `excluded`.
// Used by tests/real_kafka/failover_test.cpp. Thread-safety: plain functions over their arguments.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice::realkafka {

/// `leaders[p]` is partition p's preferred leader; the other replicas are the rest of `brokers_ids`
/// in order. "" on success (once every partition has a leader), else the error.
std::string CreateTopicWithLeaders(const std::string& bootstrap, const std::string& topic,
                                   const std::vector<int32_t>& leaders, const std::vector<int32_t>& broker_ids,
                                   const std::vector<std::pair<std::string, std::string>>& configs);

struct PartitionState {
  int32_t leader = -1;  ///< broker id; -1 while none
  int isr = 0;          ///< in-sync replicas
  int replicas = 0;
};
/// One entry per partition 0..N-1; empty and *error on failure.
std::vector<PartitionState> PartitionLeaders(const std::string& brokers, const std::string& topic, std::string* error);

/// Polls metadata until every partition has a leader other than `excluded` (-1: any leader)
/// and at least `min_isr` in-sync replicas; "" on success, else the last state seen.
std::string WaitForLeaders(const std::string& brokers, const std::string& topic, int32_t excluded, int min_isr,
                           std::chrono::milliseconds timeout);

}  // namespace sluice::realkafka
