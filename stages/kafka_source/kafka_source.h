// File: stages/kafka_source/kafka_source.h
// KafkaSource: the sluice::Source that reads a Kafka consumer group with librdkafka's C API.
// Each (topic, partition) becomes a dense stream id, stable for the run; its generation bumps on
// every (re)assignment so acks for a partition we lost and got back are recognised as stale.
// Delivery is at-least-once: enable.auto.offset.store=false, offsets are stored only through
// Store() (acknowledged records) and committed by librdkafka's auto-commit, synchronously on
// revoke (after the listener drained the revoked streams) and on Close().
// Thread-safety: every Source method, and the SourceListener callback, run on the pipeline's
// ingress thread (librdkafka serves the rebalance/stats/error callbacks inside Poll). Lag() is
// the only method that may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "engine/source.h"
#include "engine/status.h"
#include "stages/kafka_source/consumer_lag.h"
#include "stages/kafka_source/kafka_source_config.h"
#include "stages/kafka_source/kafka_status.h"

namespace sluice::stages {

class KafkaSource : public sluice::Source {
 public:
  /// Validates the config and creates the consumer handle (librdkafka starts its threads and
  /// connects to the bootstrap brokers in the background; nothing is subscribed or read yet).
  [[nodiscard]] static StatusOr<std::unique_ptr<KafkaSource>> Create(const KafkaSourceConfig& config);
  ~KafkaSource() override;
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  /// Subscribes to the topics. `listener` (may be null in tests) must outlive this source.
  [[nodiscard]] Status Start(SourceListener* listener) override;
  /// Waits up to timeout_ms for the first message, then takes whatever else is queued (up to
  /// max_records) without waiting. Tombstones (null payload) become empty records. Errors:
  /// FailedPrecondition on a librdkafka fatal error or when not started.
  [[nodiscard]] StatusOr<size_t> Poll(RecordChunk& chunk, size_t max_records, int timeout_ms) override;
  /// until_caught_up only: true once the first assignment happened and every assigned partition
  /// was read up to its high watermark as of its first assignment (or had nothing to read).
  bool Exhausted() const override;
  void SetPaused(bool paused) override;
  /// Stores offsets of points whose generation is current (stale ones are ignored).
  [[nodiscard]] Status Store(const std::vector<CommitPoint>& points) override;
  /// Commits stored offsets synchronously, leaves the group, destroys the handle. Idempotent.
  [[nodiscard]] Status Close() override;
  StreamInfo DescribeStream(uint32_t stream) const override;

  /// Latest per-partition consumer lag from librdkafka statistics (empty when
  /// statistics_interval_ms is 0 or no statistics arrived yet). Any thread.
  std::vector<PartitionLag> Lag() const;
  /// Streams currently assigned to this consumer (ingress thread; for tests and logs).
  std::vector<uint32_t> AssignedStreams() const;

 private:
  struct StreamState {
    std::string topic;
    int32_t partition = -1;
    uint32_t generation = 0;
    bool assigned = false;
    int64_t target_offset = -1;  ///< until_caught_up: high watermark at first assignment
    bool done = false;           ///< until_caught_up: reached target_offset (or EOF)
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct LogLimit {
    std::chrono::steady_clock::time_point last{};
    uint64_t suppressed = 0;
  };

  explicit KafkaSource(const KafkaSourceConfig& config);

  static void RebalanceThunk(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void ErrorThunk(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static int StatsThunk(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);
  static void LogThunk(const rd_kafka_t* rk, int level, const char* fac, const char* buf);

  void OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void OnAssign(rd_kafka_topic_partition_list_t* partitions);
  void OnRevoke(rd_kafka_topic_partition_list_t* partitions);
  void ComputeCatchUpTargets(const std::vector<uint32_t>& ids);
  void HandleMessage(rd_kafka_message_t* m, RecordChunk& chunk, size_t& added);
  uint32_t StreamIdFor(std::string_view topic, int32_t partition);
  StreamState* FindStream(std::string_view topic, int32_t partition);
  /// Logs at most one line per key per 10 s, with the count of suppressed lines.
  void LogLimited(int key, const std::string& text);

  const KafkaSourceConfig config_;
  internal::SecretRedactor redactor_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  SourceListener* listener_ = nullptr;
  bool started_ = false;
  bool closed_ = false;
  bool closing_ = false;
  bool paused_ = false;
  bool assigned_once_ = false;
  Status fatal_;

  std::vector<StreamState> streams_;  ///< indexed by stream id
  std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> stream_ids_;
  std::vector<rd_kafka_message_t*> batch_;
  std::unordered_map<int, LogLimit> log_limits_;

  mutable std::mutex lag_mu_;
  std::vector<PartitionLag> lag_;  ///< guarded by lag_mu_
};

}  // namespace sluice::stages
