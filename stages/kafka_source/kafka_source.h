// File: stages/kafka_source/kafka_source.h
// KafkaSource: the sluice::Source that reads a Kafka consumer group with librdkafka's C API.
// Each (topic, partition) becomes a dense stream id, stable for the run; its generation bumps on
// every (re)assignment so acks for a partition we lost and got back are recognised as stale.
// Delivery is at-least-once: enable.auto.offset.store=false, offsets are stored only through
// Store() (acknowledged records) and committed by librdkafka's auto-commit, synchronously on
// revoke (after the listener drained the revoked streams; retried after the rebalance when the
// group refused it) and on Close() (checked per partition and read back). README.md says why.
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
#include <utility>
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
  /// Stops (or restarts) handing records to the pipeline without pausing the partitions:
  /// librdkafka keeps its prefetch and stops fetching by itself once its queue holds
  /// queued.min.messages / queued.max.messages.kbytes. Pausing would purge that prefetch in
  /// librdkafka 2.0.2, so every resume would fetch and decompress it again. Events are still
  /// served while paused.
  void SetPaused(bool paused) override;
  /// Stores offsets of points whose generation is current (stale ones are ignored).
  [[nodiscard]] Status Store(const std::vector<CommitPoint>& points) override;
  /// Commits the offsets stored in the current generation synchronously, checking each
  /// partition's result and retrying retriable errors for query_timeout_ms; reads them back once
  /// librdkafka's own commit retries are over and commits again where they went back. Then
  /// leaves the group and destroys the handle. Errors name topic, partition, offset and the
  /// librdkafka error of every partition that could not be committed. Idempotent.
  [[nodiscard]] Status Close() override;
  StreamInfo DescribeStream(uint32_t stream) const override;

  /// Latest per-partition consumer lag from librdkafka statistics (empty when
  /// statistics_interval_ms is 0 or no statistics arrived yet). Any thread.
  std::vector<PartitionLag> Lag() const;
  /// Streams currently assigned to this consumer (ingress thread; for tests and logs).
  std::vector<uint32_t> AssignedStreams() const;

  /// Revoke commits that the group refused inside the rebalance callback and that are retried
  /// after it (see OnRevoke in kafka_source.cpp). Ingress thread; for tests and logs.
  struct RevokeCommitStats {
    uint64_t deferred = 0;  ///< partitions whose revoke commit had to be retried after the callback
    size_t pending = 0;     ///< of those, not committed yet (and not given up)
  };
  RevokeCommitStats RevokeCommits() const;

 private:
  struct StreamState {
    std::string topic;
    int32_t partition = -1;
    uint32_t generation = 0;
    bool assigned = false;
    int64_t target_offset = -1;  ///< until_caught_up: high watermark at first assignment
    bool done = false;           ///< until_caught_up: reached target_offset (or EOF)
    int64_t stored_offset = -1;  ///< last offset stored in this generation (-1: none yet)
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct PartitionOffset {
    uint32_t stream = 0;
    int64_t offset = -1;
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
  /// The coordinator gave this member an id (it has sent a JoinGroup at least once).
  [[nodiscard]] bool JoinedGroup() const;
  /// Close: polls (serving rebalance callbacks) until the first assignment or query_timeout_ms.
  void WaitForFirstAssignment();
  void ComputeCatchUpTargets(const std::vector<uint32_t>& ids);
  using CommitFailures = std::vector<std::pair<PartitionOffset, rd_kafka_resp_err_t>>;
  /// One synchronous commit of exactly `offsets`; returns every partition that was not committed,
  /// with its own error (rd_kafka_commit only reports an overall error, see CommitResult).
  CommitFailures CommitOnce(const std::vector<PartitionOffset>& offsets);
  /// CommitOnce, then again for partitions with a retriable error, with backoff and while
  /// serving the consumer queue, until `deadline`. With `owned`, a partition revoked meanwhile is
  /// dropped (its new owner re-reads from the committed offset). Errors name topic, partition,
  /// offset and librdkafka error name of every partition that still failed.
  [[nodiscard]] Status CommitAndVerify(const std::vector<PartitionOffset>& offsets,
                                       std::chrono::steady_clock::time_point deadline, const char* what,
                                       bool owned);
  /// Reads the group's committed offsets of `offsets` back (rd_kafka_committed) and commits
  /// again where they are lower than ours: an older commit that librdkafka was still retrying
  /// internally can land after ours. Errors when they stay behind until `deadline`.
  [[nodiscard]] Status ReadBackCommitted(const std::vector<PartitionOffset>& offsets,
                                         std::chrono::steady_clock::time_point deadline);
  /// Retries the revoke commits that failed inside the rebalance callback (see OnRevoke) once
  /// the rebalance that followed has completed, at most once per backoff interval, until they
  /// succeed or query_timeout_ms passed.
  void RetryDeferredRevokeCommits();
  void HandleMessage(rd_kafka_message_t* m, RecordChunk& chunk, size_t& added);
  /// Serves the consumer queue (callbacks run here) for up to timeout_ms; a record found there
  /// is taken into `chunk` like any other.
  void ServeEvents(RecordChunk& chunk, size_t& added, int timeout_ms);
  /// Takes up to `want` records already queued in records_queue_, waiting up to timeout_ms for
  /// the first. Returns how many were taken.
  StatusOr<size_t> TakeRecords(RecordChunk& chunk, size_t& added, size_t want, int timeout_ms);
  uint32_t StreamIdFor(std::string_view topic, int32_t partition);
  StreamState* FindStream(std::string_view topic, int32_t partition);
  /// FindStream for a consumed message. Consecutive messages mostly come from one partition, so
  /// the last (topic handle, partition) -> stream id is remembered and the topic name is not
  /// hashed again (the name lookup was ~1.5% of a mapped run's CPU). Forgotten on every
  /// assignment change: a topic handle is released (and its address may be reused for another
  /// topic) only after its partitions were revoked.
  StreamState* FindMessageStream(const rd_kafka_message_t* m);
  /// Logs at most one line per key per 10 s, with the count of suppressed lines.
  void LogLimited(int key, const std::string& text);

  const KafkaSourceConfig config_;
  internal::SecretRedactor redactor_;
  rd_kafka_t* rk_ = nullptr;
  /// The consumer queue: rebalance, error and statistics events (and the rare record that
  /// reached it before its partition's forwarding took effect).
  rd_kafka_queue_t* queue_ = nullptr;
  /// Every assigned partition's fetch queue is forwarded here, so records and events are taken
  /// separately: while paused the source stops taking records but still serves events.
  rd_kafka_queue_t* records_queue_ = nullptr;
  SourceListener* listener_ = nullptr;
  bool started_ = false;
  bool closed_ = false;
  bool closing_ = false;
  bool paused_ = false;
  bool assigned_once_ = false;
  /// Set by a lost or eager revoke, cleared by the next assignment (see Exhausted).
  bool awaiting_assignment_ = false;
  Status fatal_;

  std::vector<StreamState> streams_;  ///< indexed by stream id
  std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> stream_ids_;
  const void* last_topic_handle_ = nullptr;  ///< FindMessageStream's memory (nullptr: none)
  int32_t last_partition_ = -1;
  uint32_t last_stream_ = 0;
  std::vector<rd_kafka_message_t*> batch_;
  std::unordered_map<int, LogLimit> log_limits_;

  std::vector<PartitionOffset> deferred_commits_;  ///< revoke commits to retry after the callback
  std::chrono::steady_clock::time_point deferred_deadline_{};
  std::chrono::steady_clock::time_point deferred_next_attempt_{};
  std::chrono::milliseconds deferred_backoff_{100};
  /// Rebalance assign callbacks still to come before the group is settled again and a deferred
  /// commit can be sent without meeting the rejoin (see OnRevoke).
  int deferred_wait_assigns_ = 0;
  uint64_t deferred_total_ = 0;

  mutable std::mutex lag_mu_;
  std::vector<PartitionLag> lag_;  ///< guarded by lag_mu_
};

}  // namespace sluice::stages
