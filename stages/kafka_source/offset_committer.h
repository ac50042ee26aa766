// File: stages/kafka_source/offset_committer.h
// OffsetCommitter: every synchronous offset commit the Kafka source makes, and the checks
// around them. librdkafka's auto-commit sends the stored offsets in the background; this type
// covers the moments when waiting for it is not enough:
//  - on revoke, inside the rebalance callback, before the unassign (CommitOnRevoke); partitions
//    the group refused there are committed again after the next rebalance (RetryDeferred);
//  - on Close (CommitOnClose): an explicit commit checked per partition and retried, then a
//    read-back of the group's committed offsets, committing again where they went back.
// README.md ("Delivery guarantee") says why each step exists.
// Used by KafkaSource only. Thread-safety: not thread-safe; runs on the pipeline's ingress
// thread. Its waits poll the consumer, so the source's rebalance callback may run inside any
// of its calls (and call OnAssign / OnRevoke / CommitOnRevoke).
#pragma once

#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "engine/status.h"
#include "stages/kafka_source/kafka_status.h"
#include "stages/kafka_source/log_limiter.h"
#include "stages/kafka_source/partition_streams.h"

namespace sluice::stages::internal {

/// The next offset to commit for one stream (a PartitionStreams id).
struct PartitionOffset {
  uint32_t stream = 0;
  int64_t offset = -1;
};

class OffsetCommitter {
 public:
  /// Revoke commits that the group refused inside the rebalance callback and that are retried
  /// after it.
  struct RevokeStats {
    uint64_t deferred = 0;  ///< partitions whose revoke commit had to be retried after the callback
    size_t pending = 0;     ///< of those, not committed yet (and not given up)
  };

  /// All references must outlive the committer. `query_timeout_ms` bounds every commit's retries.
  OffsetCommitter(const PartitionStreams& streams, const SecretRedactor& redactor, LogLimiter& log,
                  int query_timeout_ms)
      : streams_(streams), redactor_(redactor), log_(log), query_timeout_ms_(query_timeout_ms) {}

  /// The consumer handle; set once, before any other call.
  void Attach(rd_kafka_t* rk) { rk_ = rk; }

  /// Revoke callback, before the unassign, partitions still assigned: one synchronous commit
  /// of `offsets`, checked per partition. Retriable refusals are kept for RetryDeferred.
  void CommitOnRevoke(const std::vector<PartitionOffset>& offsets);
  /// Every revoke callback, after CommitOnRevoke (if any): while refused commits wait, the
  /// rebalance that follows must complete first (two assign callbacks under COOPERATIVE, one
  /// under EAGER).
  void OnRevoke(bool cooperative);
  /// Every assign callback.
  void OnAssign();
  /// From Poll: retries the refused revoke commits once the group has settled, at most once
  /// per backoff interval, until they succeed or 3 x query_timeout_ms passed.
  void RetryDeferred();
  /// Close, before the consumer is closed: commits `offsets` (stored in the current
  /// generation), retrying retriable errors for query_timeout_ms and dropping partitions revoked
  /// meanwhile; reads them back once librdkafka's own commit retries are over and commits again
  /// where they went back; last chance for refused revoke commits. Errors name topic,
  /// partition, offset and librdkafka error of every partition that was not committed.
  [[nodiscard]] Status CommitOnClose(const std::vector<PartitionOffset>& offsets);

  RevokeStats Stats() const { return RevokeStats{deferred_total_, deferred_.size()}; }

 private:
  using Failures = std::vector<std::pair<PartitionOffset, rd_kafka_resp_err_t>>;
  /// One synchronous commit of exactly `offsets`; returns every partition that was not
  /// committed, with its own error (rd_kafka_commit only reports an overall error).
  Failures CommitOnce(const std::vector<PartitionOffset>& offsets);
  /// CommitOnce, then again for partitions with a retriable error, with backoff and while
  /// serving the consumer queue, until `deadline`. With `owned`, a partition revoked meanwhile
  /// is dropped (its new owner re-reads from the committed offset).
  [[nodiscard]] Status CommitAndVerify(const std::vector<PartitionOffset>& offsets,
                                       std::chrono::steady_clock::time_point deadline, const char* what,
                                       bool owned);
  /// Reads the group's committed offsets of `offsets` back (rd_kafka_committed) and commits
  /// again where they are lower than ours. Errors when they stay behind until `deadline`.
  [[nodiscard]] Status ReadBackCommitted(const std::vector<PartitionOffset>& offsets,
                                         std::chrono::steady_clock::time_point deadline);
  /// Serves the consumer queue (rebalance callbacks run) until `until`; records that arrive
  /// are dropped unstored, so nothing stored covers them.
  void ServeQueueUntil(std::chrono::steady_clock::time_point until);

  const PartitionStreams& streams_;
  const SecretRedactor& redactor_;
  LogLimiter& log_;
  const int query_timeout_ms_;
  rd_kafka_t* rk_ = nullptr;

  std::vector<PartitionOffset> deferred_;  ///< revoke commits to retry after the callback
  std::chrono::steady_clock::time_point deferred_deadline_{};
  std::chrono::steady_clock::time_point deferred_next_attempt_{};
  std::chrono::milliseconds deferred_backoff_{100};
  /// Rebalance assign callbacks still to come before the group is settled again and a deferred
  /// commit can be sent without meeting the rejoin (see OnRevoke in the .cpp).
  int deferred_wait_assigns_ = 0;
  uint64_t deferred_total_ = 0;
};

}  // namespace sluice::stages::internal
