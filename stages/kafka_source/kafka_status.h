// File: stages/kafka_source/kafka_status.h
// Translation of librdkafka error codes into sluice::Status, the helper that applies one
// configuration property (with errors that name the property but never a secret value), and
// SecretRedactor, which scrubs known secret values from any text before it is logged.
// librdkafka types stay inside this folder. Thread-safety: SecretRedactor is immutable after
// setup and may be read from any thread (librdkafka calls log/error callbacks on its threads).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "engine/log.h"
#include "engine/status.h"

namespace sluice::stages::internal {

/// Maps an rd_kafka error code to the closest canonical Status code, adding `context`.
[[nodiscard]] Status KafkaErrorToStatus(rd_kafka_resp_err_t err, std::string_view context);

/// Replaces every occurrence of a registered secret with "[redacted]".
class SecretRedactor {
 public:
  void AddSecret(std::string value);
  [[nodiscard]] std::string Redact(std::string_view text) const;

 private:
  std::vector<std::string> secrets_;
};

/// rd_kafka_conf_set with an error that names `name` (librdkafka's errstr, with the value
/// redacted when `name` is a secret property).
[[nodiscard]] Status SetKafkaProperty(rd_kafka_conf_t* conf, const std::string& name,
                                      const std::string& value);

/// Logs `text` (component `who`) at `level`, with secrets redacted. Callers rate-limit.
void LogKafka(const SecretRedactor& redactor, LogLevel level, std::string_view who, std::string_view text);

}  // namespace sluice::stages::internal
