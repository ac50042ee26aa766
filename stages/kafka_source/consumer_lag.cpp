#include "stages/kafka_source/consumer_lag.h"

#include <charconv>

#include <simdjson.h>

namespace sluice::stages {

StatusOr<std::vector<PartitionLag>> ParseConsumerLag(std::string_view stats_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  // The stats string is not padded: let simdjson copy it (rare path, once per interval).
  if (auto err = parser.parse(stats_json.data(), stats_json.size(), true).get(doc)) {
    return InvalidArgument(std::string("kafka statistics: ") + simdjson::error_message(err));
  }
  std::vector<PartitionLag> out;
  simdjson::dom::object topics;
  if (doc["topics"].get(topics)) return out;  // no topics yet
  for (auto [topic_name, topic] : topics) {
    simdjson::dom::object partitions;
    if (topic["partitions"].get(partitions)) continue;
    for (auto [partition_key, partition] : partitions) {
      int32_t p = -1;
      std::from_chars(partition_key.data(), partition_key.data() + partition_key.size(), p);
      if (p < 0) continue;
      std::string_view fetch_state;
      // A partition this member gave away in a rebalance stays in the statistics as "stopping"
      // and then "stopped"; reporting its lag would claim a partition another member reads.
      if (!partition["fetch_state"].get(fetch_state) &&
          (fetch_state == "none" || fetch_state == "stopping" || fetch_state == "stopped")) {
        continue;
      }
      int64_t lag = -1;
      if (partition["consumer_lag"].get(lag)) lag = -1;
      out.push_back(PartitionLag{std::string(topic_name), p, lag});
    }
  }
  return out;
}

}  // namespace sluice::stages
