#include "tests/real_kafka/real_kafka_env.h"

namespace sluice::realkafka {

namespace {

// One single-node cluster for the whole binary; the environment stops it after the last test.
[[maybe_unused]] ::testing::Environment* const kCluster =
    ::testing::AddGlobalTestEnvironment(new testing::KafkaClusterEnvironment(testing::KafkaClusterOptions{}));

}  // namespace

std::vector<std::string> XArgs(const std::vector<std::string>& properties) {
  std::vector<std::string> out;
  for (const auto& p : properties) out.insert(out.end(), {"-X", p});
  return out;
}

std::string CommittedAtEnd(const KafkaCluster& cluster, const std::string& group, const std::string& topic,
                           int partitions) {
  std::string error;
  std::vector<int64_t> high = it::HighWatermarks(cluster.plaintext(), topic, partitions, &error);
  if (high.size() != static_cast<size_t>(partitions)) return "end offsets: " + error;
  std::vector<int64_t> committed = it::CommittedOffsets(cluster.plaintext(), group, topic, partitions, &error);
  if (committed.size() != static_cast<size_t>(partitions)) return "committed offsets: " + error;
  std::string diff;
  for (size_t p = 0; p < high.size(); ++p) {
    if (high[p] == 0) continue;  // nothing to commit in an empty partition
    if (committed[p] != high[p]) {
      diff += "partition " + std::to_string(p) + ": committed " + std::to_string(committed[p]) + ", end " +
              std::to_string(high[p]) + "; ";
    }
  }
  return diff;
}

}  // namespace sluice::realkafka
