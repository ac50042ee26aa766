// File: stages/kafka_source/kafka_source_config.h
// KafkaSourceConfig: everything the Kafka source needs, as one aggregate with defaults, plus
// Validate() (run before anything is built) and DeriveMemoryProperties() (how the memory budget
// turns into librdkafka fetch/queue limits). Used by the app (app/) and by KafkaSource::Create.
// Thread-safety: plain data and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace sluice::stages {

/// How Poll takes messages from librdkafka's consumer queue once at least one is waiting.
enum class KafkaPollMode : uint8_t {
  kBatchQueue,  ///< rd_kafka_consume_batch_queue(queue, 0, ...): one call takes up to a batch
  kPollLoop,    ///< rd_kafka_consumer_poll(rk, 0) once per message
};

struct KafkaSourceConfig {
  /// Comma-separated bootstrap brokers ("host:port,host:port"). Required.
  std::string brokers;
  /// Topics to subscribe to. Required, at least one.
  std::vector<std::string> topics;
  /// Consumer group id; offsets are committed for this group. Required.
  std::string group_id;
  /// Where to start when the group has no committed offset: "earliest" or "latest"
  /// (librdkafka's aliases smallest/largest/beginning/end are accepted too). Default "earliest".
  std::string auto_offset_reset = "earliest";
  /// librdkafka pass-through (-X name=value): SASL, SSL, timeouts, anything. Applied after the
  /// derived settings, so it may override the memory-derived limits. Properties the delivery
  /// guarantee depends on (see ForbiddenPropertyReason) are rejected. Values of secret
  /// properties (sasl.password, ssl.key.password, ...) never appear in logs or errors.
  std::vector<std::pair<std::string, std::string>> properties;
  /// Bounded run: stop (Exhausted() turns true) once every assigned partition has been read up
  /// to the high watermark it had when it was first assigned. Default false (run forever).
  bool until_caught_up = false;
  /// Memory librdkafka may use for prefetching, in bytes; see DeriveMemoryProperties for the
  /// formula. Default 512 MiB. Minimum 16 MiB.
  int64_t memory_budget_bytes = int64_t{512} << 20;
  /// How often librdkafka commits the offsets we stored (auto.commit.interval.ms). Default 1000.
  int commit_interval_ms = 1000;
  /// Use the cooperative-sticky assignor (incremental rebalances: partitions that stay put keep
  /// flowing). false = eager range,roundrobin. Default true. All members of a group must agree.
  bool cooperative = true;
  /// librdkafka statistics interval (feeds KafkaSource::Lag()); 0 = off. Default 0.
  int statistics_interval_ms = 0;
  /// Timeout for the blocking broker queries made during assignment (watermarks, committed
  /// offsets) and for the synchronous commit on revoke/close, in ms. Default 10000.
  int query_timeout_ms = 10000;
  /// Longest time from Start() to the first partition assignment (bootstrap, metadata, group
  /// join) before Poll fails with an error naming the brokers and librdkafka's last error, in
  /// ms; 0 = wait forever. Default 30000.
  int startup_timeout_ms = 30000;
  /// How Poll drains the local queue; kBatchQueue measured faster (see README of this folder).
  KafkaPollMode poll_mode = KafkaPollMode::kBatchQueue;
};

/// Checks required fields, ranges, forbidden overrides and that every pass-through property is
/// known to librdkafka with a valid value (errors name the property, never a secret value).
[[nodiscard]] Status Validate(const KafkaSourceConfig& config);

/// Non-empty when `name` must not be set through `properties`: says why / which field to use.
std::string ForbiddenPropertyReason(const std::string& name);

/// True for properties whose values are secrets (passwords, keys, tokens).
bool IsSecretProperty(const std::string& name);

/// librdkafka properties derived from memory_budget_bytes (B):
///   queued.max.messages.kbytes = B/4 / 1024, clamped to [1024, 2097151]: the consumer queue
///                                (all partitions) holds at most a quarter of the budget;
///   fetch.max.bytes            = B/16/8, clamped to [1 MiB, 256 MiB]: one fetch response per
///                                broker may be in flight on top of the queue. The limit counts
///                                compressed bytes and a compressed batch of JSON records unpacks
///                                to up to ~8 times its size, so the decompressed response gets
///                                about B/16;
///   max.partition.fetch.bytes  = fetch.max.bytes/8, clamped to [256 KiB, 8 MiB]: several
///                                partitions share a fetch response;
///   queued.min.messages        = (B/4) / 1 KiB, clamped to [1000, 10000000], per partition:
///                                caps the per-message overhead librdkafka does not count in
///                                kbytes (~0.5 KiB per queued message) for tiny records. Note
///                                librdkafka 2.0.2 backs off fetching (~1 s) whenever a
///                                partition's queue holds this many untaken messages, so Poll
///                                drains the queue in batches rather than one message at a time.
/// The remaining ~3/4 of the budget is left for the pipeline's in-flight chunks.
std::vector<std::pair<std::string, std::string>> DeriveMemoryProperties(int64_t memory_budget_bytes);

}  // namespace sluice::stages
