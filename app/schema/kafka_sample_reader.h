// File: app/schema/kafka_sample_reader.h
// ReadKafkaSample(): the first messages of a topic, for `sluice schema check`. Assigns every
// partition at its beginning (no group join, no rebalance wait) and never commits, so checking a
// schema leaves no trace in the cluster and does not move any consumer group.
// Thread-safety: a plain function; each call owns its consumer.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace sluice::cli {

struct KafkaSampleConfig {
  std::string brokers;                                        ///< bootstrap HOST:PORT,...
  std::string topic;                                          ///< topic to sample
  std::vector<std::pair<std::string, std::string>> properties;  ///< extra librdkafka settings
  uint64_t limit = 100;                                       ///< messages to read at most
  int timeout_ms = 10000;                                     ///< whole read, metadata included
};

struct KafkaSampleMessage {
  int32_t partition = -1;
  int64_t offset = -1;
  std::string payload;  ///< empty for a null value
  bool null_value = false;  ///< a tombstone: the message has no value at all
};

/// Up to `limit` messages, fewer when every partition reached its end first. kNotFound for an
/// unknown topic, kUnavailable when the cluster does not answer in time, kInvalidArgument for a
/// bad property.
[[nodiscard]] StatusOr<std::vector<KafkaSampleMessage>> ReadKafkaSample(const KafkaSampleConfig& config);

}  // namespace sluice::cli
