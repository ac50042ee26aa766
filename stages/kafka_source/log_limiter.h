// File: stages/kafka_source/log_limiter.h
// LogLimiter: the Kafka source's rate-limited log, at most one line per key per 10 s with the
// count of lines suppressed meanwhile. A key is a topic of sluice's own (rebalance, commit,
// ...) or, for librdkafka's errors, kKafkaError together with the error code, so the two never
// share one int space. Used by KafkaSource and OffsetCommitter.
// Thread-safety: not thread-safe; every user runs on the pipeline's ingress thread (librdkafka
// serves the error and rebalance callbacks inside the source's polls).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <librdkafka/rdkafka.h>

#include "stages/kafka_source/kafka_status.h"

namespace sluice::stages::internal {

/// What a rate-limited line is about; each has its own budget of one line per interval.
enum class LogTopic : uint8_t {
  kKafkaError,  ///< an error librdkafka reported; limited per error code
  kRebalance,   ///< rebalance callback failures and the close-time handle workaround
  kStore,       ///< offsets_store results
  kStale,       ///< messages of partitions no longer assigned
  kCatchUp,     ///< until-caught-up watermark and committed-offset queries
  kCommit,      ///< commit retries, read-backs and deferred revoke commits
};

struct LogKey {
  LogTopic topic = LogTopic::kKafkaError;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;  ///< kKafkaError only

  static LogKey Kafka(rd_kafka_resp_err_t err) { return LogKey{LogTopic::kKafkaError, err}; }
  friend bool operator<(const LogKey& a, const LogKey& b) {
    return std::pair(a.topic, a.err) < std::pair(b.topic, b.err);
  }
};

class LogLimiter {
 public:
  /// `redactor` scrubs every line and must outlive the limiter.
  explicit LogLimiter(const SecretRedactor& redactor) : redactor_(redactor) {}

  /// Logs <text> as a warning (component "kafka") unless a line with the same key went out in the last 10 s.
  void Log(LogKey key, const std::string& text);
  void Log(LogTopic topic, const std::string& text) { Log(LogKey{topic, RD_KAFKA_RESP_ERR_NO_ERROR}, text); }

 private:
  struct Window {
    std::chrono::steady_clock::time_point last{};
    uint64_t suppressed = 0;
  };
  const SecretRedactor& redactor_;
  std::map<LogKey, Window> windows_;
};

}  // namespace sluice::stages::internal
