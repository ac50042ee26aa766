// File: devtools/mock_kafka/mock_cluster.cpp
// MockCluster over rdkafka_mock.h, watermark counting, and protocol name lookups.
#include "devtools/mock_kafka/mock_cluster.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

namespace sluice {
namespace {

// Translates a librdkafka result into a Status at this folder's boundary; rd_kafka codes do
// not leave devtools/mock_kafka.
Status FromKafkaError(rd_kafka_resp_err_t err, std::string_view context) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  std::string message = std::string(context) + ": " + rd_kafka_err2name(err) + " (" +
                        rd_kafka_err2str(err) + ")";
  switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_BROKER:
      return NotFound(std::move(message));
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return FailedPrecondition(std::move(message));
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
      return InvalidArgument(std::move(message));
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return Status(StatusCode::kDeadlineExceeded, std::move(message));
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
      return Unavailable(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

std::string Upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool ParseInt(std::string_view text, int& value) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end;
}

struct ApiKeyName {
  std::string_view name;
  int key;
};

// Kafka protocol request types (KIP numbering); names match the Kafka protocol guide.
constexpr ApiKeyName kApiKeys[] = {
    {"Produce", 0},          {"Fetch", 1},
    {"ListOffsets", 2},      {"Metadata", 3},
    {"LeaderAndIsr", 4},     {"StopReplica", 5},
    {"UpdateMetadata", 6},   {"ControlledShutdown", 7},
    {"OffsetCommit", 8},     {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},
    {"Heartbeat", 12},       {"LeaveGroup", 13},
    {"SyncGroup", 14},       {"DescribeGroups", 15},
    {"ListGroups", 16},      {"SaslHandshake", 17},
    {"ApiVersions", 18},     {"CreateTopics", 19},
    {"DeleteTopics", 20},    {"DeleteRecords", 21},
    {"InitProducerId", 22},  {"OffsetForLeaderEpoch", 23},
    {"AddPartitionsToTxn", 24}, {"AddOffsetsToTxn", 25},
    {"EndTxn", 26},          {"WriteTxnMarkers", 27},
    {"TxnOffsetCommit", 28}, {"DescribeAcls", 29},
    {"CreateAcls", 30},      {"DeleteAcls", 31},
    {"DescribeConfigs", 32}, {"AlterConfigs", 33},
    {"SaslAuthenticate", 36}, {"CreatePartitions", 37},
    {"DeleteGroups", 42},    {"IncrementalAlterConfigs", 44},
    {"OffsetDelete", 47},
};

// RAII for the short-lived clients used by the watermark query.
struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* md) const { rd_kafka_metadata_destroy(md); }
};

}  // namespace

MockCluster::MockCluster(rd_kafka_s* rk, rd_kafka_mock_cluster_s* mcluster, int broker_count)
    : rk_(rk), mcluster_(mcluster), broker_count_(broker_count) {}

MockCluster::~MockCluster() {
  rd_kafka_mock_cluster_destroy(mcluster_);
  rd_kafka_destroy(rk_);
}

StatusOr<std::unique_ptr<MockCluster>> MockCluster::Create(int broker_count) {
  if (broker_count < 1) return InvalidArgument("mock cluster needs at least one broker");
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The host handle never connects anywhere; silence its "no bootstrap.servers" warning.
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return Internal(std::string("mock cluster host config: ") + errstr);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Internal(std::string("mock cluster host handle: ") + errstr);
  }
  rd_kafka_mock_cluster_t* mcluster = rd_kafka_mock_cluster_new(rk, broker_count);
  if (mcluster == nullptr) {
    rd_kafka_destroy(rk);
    return Internal("rd_kafka_mock_cluster_new failed");
  }
  return std::unique_ptr<MockCluster>(new MockCluster(rk, mcluster, broker_count));
}

std::string MockCluster::Bootstraps() const {
  return rd_kafka_mock_cluster_bootstraps(mcluster_);
}

Status MockCluster::CreateTopic(const std::string& name, int partitions) {
  if (name.empty()) return InvalidArgument("topic name is empty");
  if (partitions < 1) return InvalidArgument("topic needs at least one partition");
  return FromKafkaError(rd_kafka_mock_topic_create(mcluster_, name.c_str(), partitions, 1),
                        "create topic '" + name + "'");
}

Status MockCluster::CheckBrokerId(int id) const {
  if (id == -1 || (id >= 1 && id <= broker_count_)) return Status::Ok();
  return NotFound("no broker " + std::to_string(id) + " (brokers are 1.." +
                  std::to_string(broker_count_) + ", or -1 for all)");
}

Status MockCluster::SetBrokerDown(int id, bool down) {
  SLUICE_RETURN_IF_ERROR(CheckBrokerId(id));
  rd_kafka_resp_err_t err = down ? rd_kafka_mock_broker_set_down(mcluster_, id)
                                 : rd_kafka_mock_broker_set_up(mcluster_, id);
  return FromKafkaError(err, down ? "broker down" : "broker up");
}

Status MockCluster::PushRequestErrors(int api_key, int error_code, int count) {
  if (api_key < 0 || api_key > INT16_MAX) return InvalidArgument("api key out of range");
  if (count < 1) return InvalidArgument("error count must be >= 1");
  std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(count),
                                          static_cast<rd_kafka_resp_err_t>(error_code));
  rd_kafka_mock_push_request_errors_array(mcluster_, static_cast<int16_t>(api_key), errors.size(),
                                          errors.data());
  return Status::Ok();
}

Status MockCluster::SetRtt(int broker, int ms) {
  SLUICE_RETURN_IF_ERROR(CheckBrokerId(broker));
  if (ms < 0) return InvalidArgument("rtt must be >= 0 ms");
  return FromKafkaError(rd_kafka_mock_broker_set_rtt(mcluster_, broker, ms), "set rtt");
}

Status MockCluster::HonourAllowAutoCreate() {
  constexpr int16_t kMetadataApiKey = 3;
  return FromKafkaError(rd_kafka_mock_set_apiversion(mcluster_, kMetadataApiKey, 4, 4), "set Metadata version");
}

StatusOr<std::vector<int64_t>> CountPartitionMessages(const std::string& brokers,
                                                      const std::string& topic, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 1));
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::max<int64_t>(left.count(), 1));
  };

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // A consumer-type handle: it never produces, and does not ask brokers to create topics.
  const std::pair<const char*, const char*> props[] = {
      {"bootstrap.servers", brokers.c_str()},
      {"allow.auto.create.topics", "false"},
      {"log_level", "3"},
  };
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return InvalidArgument(std::string("watermark client: ") + errstr);
    }
  }
  std::unique_ptr<rd_kafka_t, KafkaHandleDeleter> rk(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr)));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Internal(std::string("watermark client: ") + errstr);
  }
  // Ask for all topics: the mock auto-creates any topic named in a metadata request (even from
  // a consumer with allow.auto.create.topics=false), which would turn "missing" into "empty".
  const rd_kafka_metadata_t* raw_md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk.get(), 1, nullptr, &raw_md, remaining_ms());
  SLUICE_RETURN_IF_ERROR(FromKafkaError(err, "metadata for '" + topic + "'"));
  std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> md(raw_md);
  const rd_kafka_metadata_topic_t* found = nullptr;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic == md->topics[i].topic) found = &md->topics[i];
  }
  if (found == nullptr) return NotFound("topic '" + topic + "' does not exist");
  const rd_kafka_metadata_topic_t& mt = *found;
  SLUICE_RETURN_IF_ERROR(FromKafkaError(mt.err, "topic '" + topic + "'"));
  if (mt.partition_cnt == 0) return NotFound("topic '" + topic + "' has no partitions");

  std::vector<int64_t> counts(static_cast<size_t>(mt.partition_cnt), 0);
  for (int i = 0; i < mt.partition_cnt; ++i) {
    const int32_t partition = mt.partitions[i].id;
    int64_t low = 0;
    int64_t high = 0;
    err = rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), partition, &low, &high,
                                           remaining_ms());
    SLUICE_RETURN_IF_ERROR(FromKafkaError(
        err, "watermarks of '" + topic + "' [" + std::to_string(partition) + "]"));
    if (partition >= 0 && static_cast<size_t>(partition) < counts.size()) {
      counts[static_cast<size_t>(partition)] = high - low;
    }
  }
  return counts;
}

StatusOr<int64_t> CountTopicMessages(const std::string& brokers, const std::string& topic,
                                     int timeout_ms) {
  StatusOr<std::vector<int64_t>> counts = CountPartitionMessages(brokers, topic, timeout_ms);
  if (!counts.ok()) return counts.status();
  int64_t total = 0;
  for (int64_t c : counts.value()) total += c;
  return total;
}

StatusOr<int> ParseApiKey(std::string_view text) {
  int number = 0;
  if (ParseInt(text, number)) {
    if (number < 0 || number > INT16_MAX) return InvalidArgument("api key out of range");
    return number;
  }
  const std::string wanted = Upper(text);
  for (const ApiKeyName& entry : kApiKeys) {
    if (Upper(entry.name) == wanted) return entry.key;
  }
  // Older spelling of ListOffsets, still used in librdkafka's logs.
  if (wanted == "OFFSET" || wanted == "OFFSETS") return 2;
  return InvalidArgument("unknown api key '" + std::string(text) + "'");
}

StatusOr<int> ParseErrorCode(std::string_view text) {
  int number = 0;
  if (ParseInt(text, number)) return number;
  std::string wanted = Upper(text);
  constexpr std::string_view kPrefix = "RD_KAFKA_RESP_ERR_";
  if (wanted.rfind(kPrefix, 0) == 0) wanted.erase(0, kPrefix.size());
  const rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  for (size_t i = 0; i < count; ++i) {
    if (descs[i].name != nullptr && Upper(descs[i].name) == wanted) return descs[i].code;
  }
  return InvalidArgument("unknown error code '" + std::string(text) + "'");
}

}  // namespace sluice
