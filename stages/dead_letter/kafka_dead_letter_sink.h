// File: stages/dead_letter/kafka_dead_letter_sink.h
// KafkaDeadLetterSink: produces each rejected record to a Kafka topic with librdkafka, as the
// source message was: the same key (or none), the same value (a tombstone stays a null value),
// the original headers in order, and beside them sluice's own headers sluice.reason,
// sluice.stage, sluice.topic, sluice.partition, sluice.offset (decimal text). The producer runs
// with acks=all and enable.idempotence=true (an -X that would weaken either is ignored with a
// warning). Write() queues the message; Flush() waits for every delivery report, so a dead
// letter counts as durable only once the DLQ topic's in-sync replicas have it, and a failed
// delivery fails that Flush and every later one.
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

  /// Queues one record for the topic. Unavailable when it cannot be queued, or the error of an
  /// earlier failed delivery.
  [[nodiscard]] Status Write(const RejectedRecord& record, const StreamInfo& stream) override;
  /// Waits for the delivery report of every queued record. Unavailable/DeadlineExceeded when one
  /// was not delivered within write_timeout_ms; FailedPrecondition on a fatal producer error
  /// (e.g. idempotence violated).
  [[nodiscard]] Status Flush() override;

 private:
  explicit KafkaDeadLetterSink(KafkaDeadLetterConfig config);
  static void DeliveryThunk(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
  static void LogThunk(const rd_kafka_t* rk, int level, const char* fac, const char* buf);
  std::string Redact(std::string text) const;
  Status DeliveryError() const;
  /// The brokers say the dead-letter topic does not exist (a metadata request; false when they
  /// cannot be asked).
  bool TopicMissing() const;

  KafkaDeadLetterConfig config_;
  std::vector<std::string> secrets_;
  rd_kafka_t* rk_ = nullptr;
  uint64_t outstanding_ = 0;  ///< queued, delivery report not yet served
  rd_kafka_resp_err_t first_error_ = RD_KAFKA_RESP_ERR_NO_ERROR;  ///< sticky
};

}  // namespace sluice::stages
