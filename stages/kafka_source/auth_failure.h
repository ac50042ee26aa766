// File: stages/kafka_source/auth_failure.h
// Which librdkafka errors mean "this configuration can never connect": a SASL authentication
// failure (wrong user, password or mechanism) or a TLS handshake failure (the broker's
// certificate does not verify against ssl.ca.location, or no TLS at all on the other side).
// librdkafka reports both through the error callback and keeps reconnecting forever, so a run
// would hang; the Kafka source turns them into a fatal Status with a message naming what to
// check. Used by kafka_source.cpp's error callback. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "engine/status.h"

namespace sluice::stages::internal {

/// Non-OK (Unauthenticated) when `err`/`reason` from the error callback is an authentication
/// or TLS handshake failure; `reason` must already be redacted. `properties` are the consumer's
/// librdkafka properties (for the SASL mechanism in the hint).
[[nodiscard]] Status AuthenticationFailure(rd_kafka_resp_err_t err, std::string_view reason,
                                           const std::vector<std::pair<std::string, std::string>>& properties);

}  // namespace sluice::stages::internal
