// File: stages/kafka_source/topic_checks.h
// What the Kafka source says about the topics themselves, kept apart from the consumer loop:
//  - MissingTopicError: a subscribed topic the brokers do not know is a run-ending error naming
//    it (sluice never creates topics: allow.auto.create.topics=false), not a consumer error to
//    skip, after which an --until-caught-up run would end "successfully" with nothing consumed;
//  - DescribeNothingToRead: the line an --until-caught-up run that read no record ends with
//    ("topic X is empty", "group G is already at the end of X"), so an empty result is explained.
// Used by KafkaSource. Pure functions; thread-safety is that of the arguments.
#pragma once

#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "engine/status.h"
#include "stages/kafka_source/partition_streams.h"

namespace sluice::stages::internal {

/// NotFound naming `topic` and `brokers` when `err` says a topic we subscribed to does not exist;
/// Ok for any other error or topic.
[[nodiscard]] Status MissingTopicError(rd_kafka_resp_err_t err, const char* topic,
                                       const std::vector<std::string>& subscribed, const std::string& brokers);

/// One line per subscribed topic for a caught-up run that read nothing: "topic X is empty",
/// "group G is already at the end of X" or "group G assigned this member no partition of X".
/// Reads each stream's assignment, low_offset and target_offset (call before they are cleared).
std::string DescribeNothingToRead(const PartitionStreams& streams, const std::vector<std::string>& topics,
                                  const std::string& group);

}  // namespace sluice::stages::internal
