// File: stages/kafka_source/consumer_lag.h
// PartitionLag and ParseConsumerLag: pulls topics.<t>.partitions.<p>.consumer_lag out of a
// librdkafka statistics JSON document (STATISTICS.md) for metrics.
// Thread-safety: pure function; each call uses its own simdjson parser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace sluice::stages {

struct PartitionLag {
  std::string topic;
  int32_t partition = -1;
  int64_t consumer_lag = -1;  ///< high watermark - committed offset; -1 when unknown
};

/// Parses the statistics JSON; skips the internal partition -1. Only partitions this consumer
/// fetches are reported (not fetch_state "none", nor "stopping"/"stopped": given away in a rebalance).
[[nodiscard]] StatusOr<std::vector<PartitionLag>> ParseConsumerLag(std::string_view stats_json);

}  // namespace sluice::stages
