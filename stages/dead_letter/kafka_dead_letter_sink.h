// File: stages/dead_letter/kafka_dead_letter_sink.h
// KafkaDeadLetterSink: produces each rejected record to a Kafka topic with librdkafka: the
// original bytes as the value, and headers sluice.reason, sluice.stage, sluice.topic,
// sluice.partition, sluice.offset (decimal text). The producer runs with acks=all and
// enable.idempotence=true, and Write() waits for the delivery report, so a record counts as
// acknowledged only once the DLQ topic's in-sync replicas have it.
// Thread-safety: not thread-safe; the pipeline calls it from its ingress thread only.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "engine/dead_letter_sink.h"

namespace sluice::stages {

struct KafkaDeadLetterConfig {
  /// Bootstrap brokers of the cluster that holds the dead-letter topic. Required.
  std::string brokers;
  /// Dead-letter topic. Required.
  std::string topic;
  /// librdkafka pass-through (the same -X list the source gets: SASL, SSL, ...). Consumer-only
  /// properties are ignored by librdkafka with a warning. acks and enable.idempotence are
  /// always forced to all/true afterwards.
  std::vector<std::pair<std::string, std::string>> properties;
  /// Upper bound for one Write (message.timeout.ms), in ms. Default 30000.
  int write_timeout_ms = 30000;
};

class KafkaDeadLetterSink : public DeadLetterSink {
 public:
  [[nodiscard]] static StatusOr<std::unique_ptr<KafkaDeadLetterSink>> Create(const KafkaDeadLetterConfig& config);
  ~KafkaDeadLetterSink() override;
  KafkaDeadLetterSink(const KafkaDeadLetterSink&) = delete;
  KafkaDeadLetterSink& operator=(const KafkaDeadLetterSink&) = delete;

  /// Produces one record and waits for its delivery report. Unavailable/DeadlineExceeded when
  /// it could not be delivered within write_timeout_ms; FailedPrecondition on a fatal producer
  /// error (e.g. idempotence violated).
  [[nodiscard]] Status Write(const RejectedRecord& record, const StreamInfo& stream) override;
  /// Waits for anything still queued.
  [[nodiscard]] Status Flush() override;

 private:
  explicit KafkaDeadLetterSink(KafkaDeadLetterConfig config);
  static void DeliveryThunk(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
  static void LogThunk(const rd_kafka_t* rk, int level, const char* fac, const char* buf);
  std::string Redact(std::string text) const;

  KafkaDeadLetterConfig config_;
  std::vector<std::string> secrets_;
  rd_kafka_t* rk_ = nullptr;
};

}  // namespace sluice::stages
