#include "stages/kafka_source/kafka_source_config.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "stages/kafka_source/consumer_conf.h"
#include "stages/kafka_source/kafka_status.h"

namespace sluice::stages {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kMinMemoryBudgetBytes = 16 * kMiB;
// How much a fetched record batch may grow when librdkafka decompresses it: zstd and lz4 on
// JSON records commonly reach 5-10x.
constexpr int64_t kAssumedCompressionRatio = 8;

struct Forbidden {
  std::string_view name;
  std::string_view reason;
};

// Properties the delivery guarantee depends on, or that have a dedicated config field (two ways
// to say one thing would make it unclear which one wins).
constexpr std::array<Forbidden, 12> kForbidden = {{
    {"enable.auto.offset.store",
     "must stay false: sluice stores an offset only after the record was delivered or dead-lettered"},
    {"enable.auto.commit", "must stay true: sluice commits the offsets it stored in the background"},
    {"enable.partition.eof", "is managed by sluice (set when until_caught_up is on)"},
    {"auto.commit.interval.ms", "use the commit interval setting (commit_interval_ms) instead"},
    {"group.id", "use the group id setting (group_id) instead"},
    {"bootstrap.servers", "use the brokers setting instead"},
    {"metadata.broker.list", "use the brokers setting instead"},
    {"auto.offset.reset", "use the auto_offset_reset setting instead"},
    {"partition.assignment.strategy", "use the cooperative setting instead"},
    {"statistics.interval.ms", "use the statistics_interval_ms setting instead"},
    {"group.protocol.type", "must stay \"consumer\""},
    {"allow.auto.create.topics",
     "must stay false: sluice never creates topics (a misspelled --topic is an error, not a new topic)"},
}};

int64_t Clamp(int64_t v, int64_t lo, int64_t hi) { return std::min(std::max(v, lo), hi); }

}  // namespace

std::string ForbiddenPropertyReason(const std::string& name) {
  for (const Forbidden& f : kForbidden) {
    if (f.name == name) return std::string(f.reason);
  }
  return "";
}

bool IsSecretProperty(const std::string& name) {
  // Anything that may hold a credential or private key material: passwords, secrets, tokens,
  // keys (ssl.key.pem, ssl.key.password, ssl_key), JAAS configs and every OAUTHBEARER setting.
  // A few harmless ones (ssl.key.location, a path) are hidden too: hiding too much costs nothing.
  static constexpr std::array<std::string_view, 5> kMarkers = {"password", "secret", "token", "key", "jaas"};
  for (std::string_view m : kMarkers) {
    if (name.find(m) != std::string::npos) return true;
  }
  return name.rfind("sasl.oauthbearer.", 0) == 0;
}

std::vector<std::pair<std::string, std::string>> DeriveMemoryProperties(int64_t memory_budget_bytes) {
  const int64_t queue_bytes = memory_budget_bytes / 4;
  const int64_t queue_kbytes = Clamp(queue_bytes / 1024, 1024, 2097151);
  // fetch.max.bytes counts compressed bytes on the wire, the queue limits count decompressed
  // payload: a zstd fetch of JSON unpacks to several times its size (a 8 MiB fetch held ~190 MB
  // in librdkafka on a 128 MiB share). Sized so that one response, expanded
  // kAssumedCompressionRatio times, still fits B/16. The 1 MiB floor is librdkafka's own
  // (fetch.max.bytes >= message.max.bytes).
  const int64_t fetch_max_bytes = Clamp(memory_budget_bytes / 16 / kAssumedCompressionRatio, kMiB, 256 * kMiB);
  const int64_t partition_fetch_bytes = Clamp(fetch_max_bytes / 8, 256 * 1024, 8 * kMiB);
  const int64_t queued_min_messages = Clamp(queue_bytes / 1024, 1000, 10000000);
  return {
      {"queued.max.messages.kbytes", std::to_string(queue_kbytes)},
      {"fetch.max.bytes", std::to_string(fetch_max_bytes)},
      {"max.partition.fetch.bytes", std::to_string(partition_fetch_bytes)},
      {"queued.min.messages", std::to_string(queued_min_messages)},
  };
}

Status Validate(const KafkaSourceConfig& config) {
  if (config.brokers.empty()) return InvalidArgument("kafka source: brokers must not be empty");
  if (config.topics.empty()) return InvalidArgument("kafka source: at least one topic is required");
  for (const std::string& t : config.topics) {
    if (t.empty()) return InvalidArgument("kafka source: empty topic name");
  }
  if (config.group_id.empty()) return InvalidArgument("kafka source: group_id must not be empty");
  static constexpr std::array<std::string_view, 6> kResets = {"earliest", "latest", "smallest",
                                                              "largest", "beginning", "end"};
  if (std::find(kResets.begin(), kResets.end(), config.auto_offset_reset) == kResets.end()) {
    return InvalidArgument("kafka source: auto_offset_reset must be \"earliest\" or \"latest\", got \"" +
                           config.auto_offset_reset + "\"");
  }
  if (config.memory_budget_bytes < kMinMemoryBudgetBytes) {
    return InvalidArgument("kafka source: memory_budget_bytes must be at least 16 MiB, got " +
                           std::to_string(config.memory_budget_bytes));
  }
  if (config.commit_interval_ms <= 0) {
    return InvalidArgument("kafka source: commit_interval_ms must be > 0");
  }
  if (config.statistics_interval_ms < 0) {
    return InvalidArgument("kafka source: statistics_interval_ms must be >= 0");
  }
  if (config.query_timeout_ms <= 0) {
    return InvalidArgument("kafka source: query_timeout_ms must be > 0");
  }
  if (config.startup_timeout_ms < 0) {
    return InvalidArgument("kafka source: startup_timeout_ms must be >= 0 (0: no limit)");
  }
  for (const auto& [name, value] : config.properties) {
    std::string reason = ForbiddenPropertyReason(name);
    if (!reason.empty()) {
      return InvalidArgument("kafka source: property \"" + name + "\" cannot be overridden: " + reason);
    }
  }
  // Let librdkafka itself check names and values (no I/O happens here).
  StatusOr<internal::ConfPtr> conf = internal::BuildConsumerConf(config);
  return conf.status();
}

namespace internal {

StatusOr<ConfPtr> BuildConsumerConf(const KafkaSourceConfig& config) {
  ConfPtr conf(rd_kafka_conf_new());
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", config.brokers},
      {"group.id", config.group_id},
      {"auto.offset.reset", config.auto_offset_reset},
      {"enable.auto.offset.store", "false"},
      {"enable.auto.commit", "true"},
      {"auto.commit.interval.ms", std::to_string(config.commit_interval_ms)},
      {"enable.partition.eof", config.until_caught_up ? "true" : "false"},
      // A subscription to a topic that does not exist must fail the run (KafkaSource reports
      // it), not create the topic on a broker that allows auto-creation.
      {"allow.auto.create.topics", "false"},
      {"partition.assignment.strategy", config.cooperative ? "cooperative-sticky" : "range,roundrobin"},
      {"statistics.interval.ms", std::to_string(config.statistics_interval_ms)},
  };
  for (auto& p : DeriveMemoryProperties(config.memory_budget_bytes)) props.push_back(std::move(p));
  for (const auto& [name, value] : props) {
    Status s = SetKafkaProperty(conf.get(), name, value);
    if (!s.ok()) return s.WithContext("kafka source");
  }
  for (const auto& [name, value] : config.properties) {
    Status s = SetKafkaProperty(conf.get(), name, value);
    if (!s.ok()) return s.WithContext("kafka source");
  }
  return conf;
}

}  // namespace internal
}  // namespace sluice::stages
