// File: stages/kafka_source/kafka_source.h
// KafkaSource: the sluice::Source that reads a Kafka consumer group with librdkafka's C API.
// Each (topic, partition) becomes a dense stream id, stable for the run; its generation bumps on
// every (re)assignment so acks for a partition we lost and got back are recognised as stale.
// Delivery is at-least-once: enable.auto.offset.store=false, offsets are stored only through
// Store() (acknowledged records) and committed by librdkafka's auto-commit, synchronously on
// revoke (after the listener drained the revoked streams; retried after the rebalance when the
// group refused it) and on Close() (checked per partition and read back): OffsetCommitter
// (offset_committer.h) makes those commits; PartitionStreams (partition_streams.h) holds the
// stream table; LogLimiter (log_limiter.h) rate-limits the log; StartupWatchdog
// (startup_watchdog.h) fails Poll when no partition was assigned within startup_timeout_ms;
// topic_checks.h turns a missing subscribed topic into an error and explains an empty result.
// README.md says why.
// Thread-safety: every Source method, and the SourceListener callback, run on the pipeline's
// ingress thread (librdkafka serves the rebalance/stats/error callbacks inside Poll). Lag() is
// the only method that may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "engine/source.h"
#include "engine/status.h"
#include "stages/kafka_source/consumer_lag.h"
#include "stages/kafka_source/kafka_source_config.h"
#include "stages/kafka_source/kafka_status.h"
#include "stages/kafka_source/log_limiter.h"
#include "stages/kafka_source/offset_committer.h"
#include "stages/kafka_source/partition_streams.h"
#include "stages/kafka_source/startup_watchdog.h"

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
  /// Connecting / joining / assigned N partitions, and under until_caught_up the records
  /// between the start positions and the end offsets and how many of them are still unread
  /// (kafka_progress.cpp).
  SourceProgress Progress() const override;

  /// Latest per-partition consumer lag from librdkafka statistics (empty when
  /// statistics_interval_ms is 0 or no statistics arrived yet). Any thread.
  std::vector<PartitionLag> Lag() const;
  /// After Close of an --until-caught-up run that read no record: why ("topic X is empty",
  /// "group G is already at the end of X"), one line per topic; empty otherwise. Main thread,
  /// after the pipeline returned.
  const std::string& NothingToReadNote() const { return nothing_to_read_note_; }
  /// Streams currently assigned to this consumer (ingress thread; for tests and logs).
  std::vector<uint32_t> AssignedStreams() const;

  /// Revoke commits that the group refused inside the rebalance callback and that are retried
  /// after it (see OffsetCommitter::CommitOnRevoke). Ingress thread; for tests and logs.
  using RevokeCommitStats = internal::OffsetCommitter::RevokeStats;
  RevokeCommitStats RevokeCommits() const;
  /// Partitions assigned to this consumer now (0 before the first assignment and after a
  /// revoke of everything). Any thread: for /ready of the metrics endpoint.
  [[nodiscard]] int AssignedPartitionCount() const { return assigned_partitions_.load(std::memory_order_relaxed); }

 private:
  explicit KafkaSource(const KafkaSourceConfig& config);

  static void RebalanceThunk(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void ErrorThunk(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static int StatsThunk(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);
  static void LogThunk(const rd_kafka_t* rk, int level, const char* fac, const char* buf);

  /// The rebalance callback, in the shape of librdkafka's example (see the .cpp).
  void OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  /// Assign, before the (incremental_)assign call: new generations, catch-up targets, and each
  /// partition's fetch queue forwarded to records_queue_.
  void BeforeAssign(rd_kafka_topic_partition_list_t* partitions, bool cooperative);
  /// Revoke, before the (incremental_)unassign call: lets the listener drain the revoked
  /// streams, stores and commits its points (unless the assignment was lost). Returns the
  /// revoked streams we held.
  std::vector<uint32_t> BeforeRevoke(rd_kafka_topic_partition_list_t* partitions, bool cooperative);
  /// The coordinator gave this member an id (it has sent a JoinGroup at least once).
  [[nodiscard]] bool JoinedGroup() const;
  /// Close: polls (serving rebalance callbacks) until the first assignment or query_timeout_ms.
  void WaitForFirstAssignment();
  void ComputeCatchUpTargets(const std::vector<uint32_t>& ids);
  void HandleMessage(rd_kafka_message_t* m, RecordChunk& chunk, size_t& added);
  /// Serves the consumer queue (callbacks run here) for up to timeout_ms; a record found there
  /// is taken into `chunk` like any other.
  void ServeEvents(RecordChunk& chunk, size_t& added, int timeout_ms);
  /// Takes up to `want` records already queued in records_queue_, waiting up to timeout_ms for
  /// the first. Returns how many were taken.
  StatusOr<size_t> TakeRecords(RecordChunk& chunk, size_t& added, size_t want, int timeout_ms);

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
  /// Bounds Start() -> first assignment (--startup-timeout).
  internal::StartupWatchdog startup_;
  /// Records handed to the pipeline over the run (for NothingToReadNote).
  uint64_t records_read_ = 0;
  std::string nothing_to_read_note_;

  internal::LogLimiter log_;
  internal::PartitionStreams streams_;
  internal::OffsetCommitter committer_;
  std::vector<rd_kafka_message_t*> batch_;

  mutable std::mutex lag_mu_;
  std::vector<PartitionLag> lag_;  ///< guarded by lag_mu_
  /// AssignedStreams().size() after each rebalance, for readers on other threads.
  std::atomic<int> assigned_partitions_{0};
};

}  // namespace sluice::stages
