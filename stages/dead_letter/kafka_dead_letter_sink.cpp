#include "stages/dead_letter/kafka_dead_letter_sink.h"
#include "engine/log.h"

#include <cstdio>
#include <utility>

#include "engine/message_text.h"

namespace sluice::stages {
namespace {

// The same rule as the Kafka source's IsSecretProperty (stages/kafka_source), which this
// library does not link.
bool IsSecretName(const std::string& name) {
  for (const char* m : {"password", "secret", "token", "key", "jaas"}) {
    if (name.find(m) != std::string::npos) return true;
  }
  return name.rfind("sasl.oauthbearer.", 0) == 0;
}

// An -X value that would weaken what a dead letter's acknowledgement means.
bool WeakensDurability(const std::string& name, const std::string& value) {
  if (name == "acks" || name == "request.required.acks") return value != "all" && value != "-1";
  if (name == "enable.idempotence") return value != "true";
  return false;
}

}  // namespace

KafkaDeadLetterSink::KafkaDeadLetterSink(KafkaDeadLetterConfig config) : config_(std::move(config)) {
  for (const auto& [name, value] : config_.properties) {
    if (IsSecretName(name) && !value.empty()) secrets_.push_back(value);
  }
}

std::string KafkaDeadLetterSink::Redact(std::string text) const { return RedactSecrets(std::move(text), secrets_); }

StatusOr<std::unique_ptr<KafkaDeadLetterSink>> KafkaDeadLetterSink::Create(const KafkaDeadLetterConfig& config) {
  if (config.brokers.empty()) return InvalidArgument("dead-letter kafka: brokers must not be empty");
  if (config.topic.empty()) return InvalidArgument("dead-letter kafka: topic must not be empty");
  if (config.write_timeout_ms <= 0) return InvalidArgument("dead-letter kafka: write_timeout_ms must be > 0");
  std::unique_ptr<KafkaDeadLetterSink> sink(new KafkaDeadLetterSink(config));

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512] = {0};
  std::vector<std::pair<std::string, std::string>> props = {{"bootstrap.servers", config.brokers}};
  for (const auto& p : config.properties) {
    if (WeakensDurability(p.first, p.second)) {
      // The -X list is shared with the consumer, so refusing it would refuse a whole run; the
      // dead-letter producer keeps its guarantee and says so.
      Logf(LogLevel::kWarn, "dead_letter",
           "ignoring -X %s=%s for the Kafka dead-letter producer: dead letters are produced with acks=all "
           "and enable.idempotence=true, so their offsets are committed only once the topic has them",
           p.first.c_str(), p.second.c_str());
      continue;
    }
    props.push_back(p);
  }
  // Forced last: the DLQ's acknowledgement must mean "durably in the topic, exactly once".
  props.emplace_back("acks", "all");
  props.emplace_back("enable.idempotence", "true");
  props.emplace_back("message.timeout.ms", std::to_string(config.write_timeout_ms));
  // A dead-letter topic is part of the deployment like the source topic: a misspelt --dlq
  // must fail the run (the records stay uncommitted), not create a topic nobody watches.
  props.emplace_back("allow.auto.create.topics", "false");
  for (const auto& [name, value] : props) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      std::string detail = IsSecretName(name) ? "invalid value" : sink->Redact(errstr);
      return InvalidArgument("dead-letter kafka: property \"" + name + "\": " + detail);
    }
  }
  rd_kafka_conf_set_opaque(conf, sink.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaDeadLetterSink::DeliveryThunk);
  rd_kafka_conf_set_log_cb(conf, &KafkaDeadLetterSink::LogThunk);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return InvalidArgument("dead-letter kafka: cannot create producer: " + sink->Redact(errstr));
  }
  sink->rk_ = rk;
  return sink;
}

KafkaDeadLetterSink::~KafkaDeadLetterSink() {
  if (rk_ == nullptr) return;
  rd_kafka_flush(rk_, config_.write_timeout_ms);
  rd_kafka_destroy(rk_);
}

void KafkaDeadLetterSink::DeliveryThunk(rd_kafka_t* rk, const rd_kafka_message_t* m, void* /*opaque*/) {
  // Runs inside rd_kafka_poll/rd_kafka_flush on the thread that calls Write/Flush.
  auto* self = static_cast<KafkaDeadLetterSink*>(rd_kafka_opaque(rk));
  if (self == nullptr) return;
  if (self->outstanding_ > 0) --self->outstanding_;
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && self->first_error_ == RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->first_error_ = m->err;
  }
}

void KafkaDeadLetterSink::LogThunk(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  const LogLevel log_level = LogLevelFromSyslog(level);
  if (!LogEnabled(log_level)) return;
  const auto* self = static_cast<const KafkaDeadLetterSink*>(rd_kafka_opaque(rk));
  std::string line = std::string(fac) + ": " + buf;
  if (self != nullptr) line = self->Redact(std::move(line));
  Log(log_level, "dead_letter kafka", line);
}

Status KafkaDeadLetterSink::Write(const RejectedRecord& record, const StreamInfo& stream) {
  if (first_error_ != RD_KAFKA_RESP_ERR_NO_ERROR) return DeliveryError();
  const RecordOrigin& origin = record.origin;
  // The original headers first, in their order, then sluice's own beside them.
  rd_kafka_headers_t* headers = rd_kafka_headers_new(8);
  HeaderReader original(origin.headers);
  std::string_view name;
  std::string_view value;
  bool value_null = false;
  while (original.Next(&name, &value, &value_null)) {
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value_null ? nullptr : value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  const std::string partition = std::to_string(stream.partition);
  const std::string offset = std::to_string(record.position.offset);
  rd_kafka_header_add(headers, "sluice.reason", -1, record.reason.data(), static_cast<ssize_t>(record.reason.size()));
  const std::string_view stage = RejectStageName(record.stage);
  rd_kafka_header_add(headers, "sluice.stage", -1, stage.data(), static_cast<ssize_t>(stage.size()));
  rd_kafka_header_add(headers, "sluice.topic", -1, stream.name.data(), static_cast<ssize_t>(stream.name.size()));
  rd_kafka_header_add(headers, "sluice.partition", -1, partition.data(), static_cast<ssize_t>(partition.size()));
  rd_kafka_header_add(headers, "sluice.offset", -1, offset.data(), static_cast<ssize_t>(offset.size()));

  // A tombstone stays a tombstone (null value), distinct from an empty value; a missing key
  // stays missing, distinct from an empty key.
  void* value_ptr = origin.null_value ? nullptr : const_cast<char*>(record.bytes.data());
  const size_t value_size = origin.null_value ? 0 : record.bytes.size();
  const void* key_ptr = origin.has_key ? origin.key.data() : nullptr;
  const size_t key_size = origin.has_key ? origin.key.size() : 0;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (;;) {
    err = rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(config_.topic.c_str()), RD_KAFKA_V_VALUE(value_ptr, value_size),
                            RD_KAFKA_V_KEY(key_ptr, key_size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
    rd_kafka_poll(rk_, 100);  // local queue full: serve reports and retry
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);  // not taken over on failure
    return Unavailable("dead-letter kafka topic \"" + config_.topic + "\": produce failed: " + rd_kafka_err2str(err));
  }
  ++outstanding_;
  rd_kafka_poll(rk_, 0);  // serve delivery reports that are already in
  return Status::Ok();
}

bool KafkaDeadLetterSink::TopicMissing() const {
  constexpr int kMetadataTimeoutMs = 5000;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(rk_, config_.topic.c_str(), nullptr);
  if (topic == nullptr) return false;
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 0, topic, &md, kMetadataTimeoutMs);
  bool missing = false;
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md != nullptr) {
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (config_.topic == md->topics[i].topic) {
        missing = md->topics[i].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
      }
    }
  }
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(topic);
  return missing;
}

Status KafkaDeadLetterSink::DeliveryError() const {
  char buf[512] = {0};
  if (rd_kafka_fatal_error(rk_, buf, sizeof(buf)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FailedPrecondition("dead-letter kafka: fatal producer error: " + Redact(buf));
  }
  std::string msg = "dead-letter kafka topic \"" + config_.topic + "\": delivery failed: " +
                    rd_kafka_err2str(first_error_);
  // librdkafka lets records for a topic it never saw time out rather than fail at once: ask the
  // brokers whether the topic exists before calling it a timeout.
  if (first_error_ == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || first_error_ == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
      (first_error_ == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT && TopicMissing())) {
    return NotFound(msg + " (the topic does not exist; sluice never creates topics: create it first)");
  }
  if (first_error_ == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT) return Status(StatusCode::kDeadlineExceeded, msg);
  return Unavailable(msg);
}

Status KafkaDeadLetterSink::Flush() {
  // Every report arrives at the latest after message.timeout.ms (write_timeout_ms); the extra
  // second covers the time a report takes to be served.
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_, config_.write_timeout_ms + 1000);
  if (first_error_ != RD_KAFKA_RESP_ERR_NO_ERROR) return DeliveryError();
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || outstanding_ != 0) {
    return Status(StatusCode::kDeadlineExceeded,
                  "dead-letter kafka topic \"" + config_.topic + "\": " + std::to_string(outstanding_) +
                      " dead letters not acknowledged within " + std::to_string(config_.write_timeout_ms) + " ms");
  }
  return Status::Ok();
}

}  // namespace sluice::stages
