// File: devtools/fake_flights/flight_producer.cpp
// librdkafka producer loop for fake flights. All callbacks run on this thread (inside
// rd_kafka_poll/flush), so the delivery counters need no synchronisation.
#include "devtools/fake_flights/flight_producer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <thread>

#include "stages/generator_source/flight_generator.h"

namespace sluice {
namespace {

struct DeliveryCounters {
  uint64_t delivered = 0;
  uint64_t failed = 0;
  uint64_t delivered_bytes = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* opaque) {
  auto* counters = static_cast<DeliveryCounters*>(opaque);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++counters->delivered;
    counters->delivered_bytes += msg->len;
  } else {
    if (counters->failed == 0) counters->first_error = msg->err;
    ++counters->failed;
  }
}

// Property names whose values must never reach an error message or a log line.
bool IsSensitiveProperty(const std::string& key) {
  for (const char* word : {"password", "secret", "token", "key", "jaas"}) {
    if (key.find(word) != std::string::npos) return true;
  }
  return false;
}

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
};

}  // namespace

StatusOr<FlightRunSummary> ProduceFlightsToKafka(const FlightProducerConfig& cfg) {
  if (cfg.brokers.empty()) return InvalidArgument("no brokers given");
  if (cfg.topic.empty()) return InvalidArgument("no topic given");

  DeliveryCounters counters;
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // Defaults chosen for the librdkafka mock cluster: small lingering batches that the mock
  // stores compactly, and per-message random partitions so keyless records cover all partitions.
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", cfg.brokers},
      {"compression.type", "zstd"},
      {"sticky.partitioning.linger.ms", "0"},
      {"linger.ms", "5"},
      {"batch.num.messages", "10000"},
  };
  props.insert(props.end(), cfg.extra_props.begin(), cfg.extra_props.end());
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return InvalidArgument("librdkafka property '" + key +
                             "': " + (IsSensitiveProperty(key) ? "invalid value" : errstr));
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  rd_kafka_conf_set_opaque(conf, &counters);

  std::unique_ptr<rd_kafka_t, KafkaHandleDeleter> rk(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return InvalidArgument(std::string("producer: ") + errstr);
  }
  std::unique_ptr<rd_kafka_topic_t, TopicDeleter> rkt(
      rd_kafka_topic_new(rk.get(), cfg.topic.c_str(), nullptr));
  if (!rkt) return InvalidArgument("bad topic name '" + cfg.topic + "'");

  FlightGenerator generator(cfg.run.seed, cfg.run.first_id);
  RatePacer pacer(cfg.run.rate_per_s);
  std::string payload;
  payload.reserve(1024);
  char key_buf[24];
  const auto start = std::chrono::steady_clock::now();

  for (uint64_t i = 0; i < cfg.run.count; ++i) {
    for (auto wait = pacer.WaitBefore(i); wait.count() > 0; wait = pacer.WaitBefore(i)) {
      // Serve delivery reports while waiting for the next slot.
      const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
      rd_kafka_poll(rk.get(), static_cast<int>(std::clamp<int64_t>(wait_ms, 0, 100)));
      if (wait_ms == 0) std::this_thread::sleep_for(wait);
    }
    const uint64_t flight_id = generator.next_id();
    payload.clear();
    generator.Next(payload);
    const char* key = nullptr;
    size_t key_len = 0;
    if (cfg.key_by_flight_id) {
      auto res = std::to_chars(key_buf, key_buf + sizeof(key_buf), flight_id);
      key = key_buf;
      key_len = static_cast<size_t>(res.ptr - key_buf);
    }
    while (rd_kafka_produce(rkt.get(), RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                            payload.data(), payload.size(), key, key_len, nullptr) == -1) {
      const rd_kafka_resp_err_t err = rd_kafka_last_error();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        return Internal(std::string("produce: ") + rd_kafka_err2name(err) + " (" +
                        rd_kafka_err2str(err) + ")");
      }
      // Local queue full: let librdkafka send and report, then try again.
      rd_kafka_poll(rk.get(), 10);
    }
    if ((i & 1023) == 0) rd_kafka_poll(rk.get(), 0);
  }

  rd_kafka_flush(rk.get(), cfg.flush_timeout_ms);
  const int outstanding = rd_kafka_outq_len(rk.get());
  FlightRunSummary summary;
  summary.records = counters.delivered;
  summary.bytes = counters.delivered_bytes;
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (counters.failed > 0) {
    return DataLoss(std::to_string(counters.failed) + " of " + std::to_string(cfg.run.count) +
                    " deliveries failed, first error " + rd_kafka_err2name(counters.first_error) +
                    " (" + rd_kafka_err2str(counters.first_error) + ")");
  }
  if (outstanding > 0 || counters.delivered != cfg.run.count) {
    return Status(StatusCode::kDeadlineExceeded,
                  std::to_string(cfg.run.count - counters.delivered) +
                      " delivery reports still missing after " +
                      std::to_string(cfg.flush_timeout_ms) + " ms");
  }
  return summary;
}

Status ProduceFlights(const std::string& brokers, const std::string& topic, uint64_t count,
                      uint64_t seed, uint64_t first_id,
                      const std::vector<std::pair<std::string, std::string>>& extra_props) {
  FlightProducerConfig cfg;
  cfg.brokers = brokers;
  cfg.topic = topic;
  cfg.run.count = count;
  cfg.run.seed = seed;
  cfg.run.first_id = first_id;
  cfg.extra_props = extra_props;
  return ProduceFlightsToKafka(cfg).status();
}

}  // namespace sluice
