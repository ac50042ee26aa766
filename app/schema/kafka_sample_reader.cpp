// File: app/schema/kafka_sample_reader.cpp
#include "app/schema/kafka_sample_reader.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <set>

#include "engine/log.h"

namespace sluice::cli {
namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};

// librdkafka's own lines go through the product's log like every other line.
void LogThunk(const rd_kafka_t* /*rk*/, int level, const char* fac, const char* buf) {
  const LogLevel log_level = LogLevelFromSyslog(level);
  if (!LogEnabled(log_level)) return;
  Log(log_level, "kafka", std::string("librdkafka ") + fac + ": " + buf);
}

}  // namespace

StatusOr<std::vector<KafkaSampleMessage>> ReadKafkaSample(const KafkaSampleConfig& config) {
  if (config.brokers.empty()) return InvalidArgument("--brokers is required with --topic");
  if (config.topic.empty()) return InvalidArgument("--topic is required with --brokers");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.timeout_ms);
  auto left_ms = [&] {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<int64_t>(0, left.count()));
  };

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& key, const std::string& value) -> Status {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      // Only the key is named: values may be secrets (sasl.password).
      return InvalidArgument("Kafka property \"" + key + "\": " + errstr);
    }
    return Status::Ok();
  };
  // The group id is never joined (assign, not subscribe) and nothing is committed.
  Status s = set("bootstrap.servers", config.brokers);
  if (s.ok()) s = set("group.id", "sluice-schema-check");
  if (s.ok()) s = set("enable.auto.commit", "false");
  if (s.ok()) s = set("enable.auto.offset.store", "false");
  if (s.ok()) s = set("enable.partition.eof", "true");
  if (s.ok()) s = set("log_level", "3");
  for (const auto& [key, value] : config.properties) {
    if (s.ok()) s = set(key, value);
  }
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  rd_kafka_conf_set_log_cb(conf, &LogThunk);
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (raw == nullptr) {
    rd_kafka_conf_destroy(conf);
    return InvalidArgument(std::string("cannot create a Kafka consumer: ") + errstr);
  }
  std::unique_ptr<rd_kafka_t, KafkaDeleter> rk(raw);

  // Partition count from metadata; a missing topic is reported, not auto-created.
  std::unique_ptr<rd_kafka_topic_t, TopicDeleter> topic(rd_kafka_topic_new(rk.get(), config.topic.c_str(), nullptr));
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk.get(), 0, topic.get(), &md, std::max(1, left_ms()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status(StatusCode::kUnavailable, "Kafka metadata from " + config.brokers + ": " + rd_kafka_err2str(err));
  }
  std::vector<int32_t> partitions;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (config.topic != md->topics[i].topic) continue;
    topic_err = md->topics[i].err;
    for (int p = 0; p < md->topics[i].partition_cnt; ++p) partitions.push_back(md->topics[i].partitions[p].id);
  }
  rd_kafka_metadata_destroy(md);
  topic.reset();
  if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR || partitions.empty()) {
    return NotFound("topic \"" + config.topic + "\": " +
                    (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_err2str(topic_err) : "no partitions"));
  }

  std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter> assignment(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(assignment.get(), config.topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  err = rd_kafka_assign(rk.get(), assignment.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return Status(StatusCode::kUnavailable, std::string("assign: ") + rd_kafka_err2str(err));

  std::vector<KafkaSampleMessage> out;
  std::set<int32_t> at_end;
  while (out.size() < config.limit && at_end.size() < partitions.size()) {
    const int wait = left_ms();
    if (wait == 0) {
      if (out.empty()) {
        return Status(StatusCode::kDeadlineExceeded, "no message from topic \"" + config.topic + "\" at " +
                                                         config.brokers + " within " + std::to_string(config.timeout_ms) + " ms");
      }
      break;  // a partial sample is still worth checking
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), std::min(wait, 200));
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(m->partition);
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const bool fatal = m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                         m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED || m->err == RD_KAFKA_RESP_ERR__FATAL;
      if (fatal) {
        Status e(StatusCode::kUnavailable, "reading topic \"" + config.topic + "\": " + rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return e;
      }
      // Transient (transport, broker down): librdkafka keeps retrying until the deadline.
    } else {
      KafkaSampleMessage msg;
      msg.partition = m->partition;
      msg.offset = m->offset;
      if (m->payload != nullptr) msg.payload.assign(static_cast<const char*>(m->payload), m->len);
      msg.null_value = m->payload == nullptr;
      out.push_back(std::move(msg));
    }
    rd_kafka_message_destroy(m);
  }
  return out;
}

}  // namespace sluice::cli
