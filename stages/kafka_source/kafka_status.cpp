#include "stages/kafka_source/kafka_status.h"

#include <cstdio>

#include "engine/log.h"
#include "engine/message_text.h"
#include "stages/kafka_source/kafka_source_config.h"

namespace sluice::stages::internal {

Status KafkaErrorToStatus(rd_kafka_resp_err_t err, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += rd_kafka_err2str(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return Status::Ok();
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PROTOCOL:
      return InvalidArgument(std::move(msg));
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return NotFound(std::move(msg));
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
      return Status(StatusCode::kDeadlineExceeded, std::move(msg));
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return Unauthenticated(std::move(msg));
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return Status(StatusCode::kPermissionDenied, std::move(msg));
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return Unavailable(std::move(msg));
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
      return FailedPrecondition(std::move(msg));
    default:
      return Internal(std::move(msg));
  }
}

void SecretRedactor::AddSecret(std::string value) {
  if (!value.empty()) secrets_.push_back(std::move(value));
}

std::string SecretRedactor::Redact(std::string_view text) const { return RedactSecrets(std::string(text), secrets_); }

Status SetKafkaProperty(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512] = {0};
  rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr));
  if (res == RD_KAFKA_CONF_OK) return Status::Ok();
  std::string detail(errstr);
  if (IsSecretProperty(name)) {
    SecretRedactor r;
    r.AddSecret(value);
    detail = r.Redact(detail);
  }
  if (res == RD_KAFKA_CONF_UNKNOWN) {
    return InvalidArgument("unknown Kafka property \"" + name + "\": " + detail);
  }
  return InvalidArgument("invalid value for Kafka property \"" + name + "\": " + detail);
}

void LogKafka(const SecretRedactor& redactor, LogLevel level, std::string_view who, std::string_view text) {
  if (!LogEnabled(level)) return;
  Log(level, who, redactor.Redact(text));
}

}  // namespace sluice::stages::internal
