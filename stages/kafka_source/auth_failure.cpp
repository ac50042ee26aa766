#include "stages/kafka_source/auth_failure.h"

#include <cstdio>

namespace sluice::stages::internal {

namespace {

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string Mechanism(const std::vector<std::pair<std::string, std::string>>& properties) {
  std::string mechanism;
  for (const auto& [name, value] : properties) {
    if (name == "sasl.mechanism" || name == "sasl.mechanisms") mechanism = value;
  }
  return mechanism;
}

// librdkafka before 2.6.1 sends a wrong nonce in SCRAM's client-final message; Kafka 4.x
// checks it (RFC 5802) and answers "invalid credentials" even for the right password.
std::string ScramHint(const std::vector<std::pair<std::string, std::string>>& properties) {
  if (Mechanism(properties).rfind("SCRAM-", 0) != 0 || rd_kafka_version() >= 0x020601ff) return "";
  return std::string("; note: this librdkafka (") + rd_kafka_version_str() +
         ") cannot authenticate with SCRAM to Kafka 4.x brokers (fixed in librdkafka 2.6.1): "
         "use PLAIN over SASL_SSL there, or a newer librdkafka";
}

}  // namespace

Status AuthenticationFailure(rd_kafka_resp_err_t err, std::string_view reason,
                             const std::vector<std::pair<std::string, std::string>>& properties) {
  if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED) {
    return Unauthenticated(
        "kafka source: authentication with the broker failed (check sasl.username, "
        "sasl.password and sasl.mechanism): " +
        std::string(reason) + ScramHint(properties));
  }
  // The first handshake failure comes as _SSL; retries of the same failure as _TRANSPORT with
  // OpenSSL's words only.
  const bool tls = err == RD_KAFKA_RESP_ERR__SSL ||
                   (err == RD_KAFKA_RESP_ERR__TRANSPORT &&
                    (Contains(reason, "SSL handshake failed") || Contains(reason, "certificate verify failed")));
  if (tls) {
    return Unauthenticated(
        "kafka source: TLS handshake with the broker failed (check ssl.ca.location and "
        "security.protocol): " +
        std::string(reason));
  }
  return Status::Ok();
}

}  // namespace sluice::stages::internal
