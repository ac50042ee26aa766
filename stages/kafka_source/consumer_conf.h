// File: stages/kafka_source/consumer_conf.h
// BuildConsumerConf: turns a KafkaSourceConfig into a librdkafka configuration object with the
// settings our at-least-once guarantee depends on. Shared by Validate() (to check pass-through
// properties against librdkafka itself, without any I/O) and KafkaSource::Create.
// Thread-safety: pure function.
#pragma once

#include <memory>

#include <librdkafka/rdkafka.h>

#include "engine/status.h"
#include "stages/kafka_source/kafka_source_config.h"

namespace sluice::stages::internal {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

/// Builds the consumer configuration (no callbacks set). Errors name the offending property.
[[nodiscard]] StatusOr<ConfPtr> BuildConsumerConf(const KafkaSourceConfig& config);

}  // namespace sluice::stages::internal
