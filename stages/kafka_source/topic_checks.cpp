#include "stages/kafka_source/topic_checks.h"

#include <algorithm>

namespace sluice::stages::internal {

Status MissingTopicError(rd_kafka_resp_err_t err, const char* topic, const std::vector<std::string>& subscribed,
                         const std::string& brokers) {
  if (err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && err != RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) return Status::Ok();
  if (topic == nullptr || std::find(subscribed.begin(), subscribed.end(), topic) == subscribed.end()) {
    return Status::Ok();
  }
  return NotFound(std::string("kafka source: topic \"") + topic + "\" does not exist on brokers " + brokers +
                  " (sluice never creates topics; check --topic)");
}

std::string DescribeNothingToRead(const PartitionStreams& streams, const std::vector<std::string>& topics,
                                  const std::string& group) {
  std::string out;
  for (const std::string& topic : topics) {
    int assigned = 0;
    int empty = 0;
    for (const PartitionStream& s : streams) {
      if (s.topic != topic || !s.assigned) continue;
      ++assigned;
      if (s.target_offset >= 0 && s.low_offset >= 0 && s.target_offset <= s.low_offset) ++empty;
    }
    if (assigned == 0) {
      out += "group " + group + " assigned this member no partition of " + topic + " (other members read it)\n";
    } else if (empty == assigned) {
      out += "topic " + topic + " is empty\n";
    } else {
      out += "group " + group + " is already at the end of " + topic + "\n";
    }
  }
  return out;
}

}  // namespace sluice::stages::internal
