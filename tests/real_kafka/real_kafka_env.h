// File: tests/real_kafka/real_kafka_env.h
// The real-broker suite's shared parts: the one Kafka cluster of the test binary
// (KafkaClusterEnvironment, registered in real_kafka_env.cpp), kcat against it, and
// `sluice run` against one of its listeners with librdkafka properties. The rest
// (emulator, expected rows, committed offsets) comes from tests/integration/integration_env.h.
// Thread-safety: one test thread.
#pragma once

#include <string>
#include <vector>

#include "tests/integration/integration_env.h"
#include "tests/testing/kafka_cluster.h"

namespace sluice::realkafka {

using it::kAccount;
using it::kPassword;
using testing::KafkaCluster;
using testing::ProcessResult;

inline constexpr int kRunTimeoutMs = 180000;

/// `kcat ARGS...` with `input` on stdin (written to DIR/kcat-input.txt when non-empty).
using testing::Kcat;

/// librdkafka -X pairs as sluice arguments: {"-X", "k=v", ...}.
std::vector<std::string> XArgs(const std::vector<std::string>& properties);

/// Every committed offset of `group` on `topic` equals the partition's end offset (empty
/// partitions aside); empty on success, else what differs. Read over PLAINTEXT.
std::string CommittedAtEnd(const KafkaCluster& cluster, const std::string& group, const std::string& topic,
                           int partitions);

}  // namespace sluice::realkafka
