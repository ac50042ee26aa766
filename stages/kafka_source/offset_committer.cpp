// File: stages/kafka_source/offset_committer.cpp
// OffsetCommitter: synchronous commits on revoke and on close, per-partition results,
// retries, the deferred revoke commits and the close-time read-back. Used by KafkaSource.
// Thread-safety: ingress thread only; its waits serve the consumer queue (callbacks run).
#include "stages/kafka_source/offset_committer.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace sluice::stages::internal {
namespace {

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// Per-partition outcome of one synchronous commit. rd_kafka_commit() only returns an overall
// error (it never copies the partition results back into the caller's list), and that overall
// error can be NO_ERROR while partitions carry an error of their own (OffsetCommit has no
// response-level error code; the broker answers per partition). rd_kafka_commit_queue() with a
// NULL queue is synchronous too and hands the result list, with each partition's err, to the
// callback below before it returns.
struct CommitResult {
  bool called = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::vector<std::pair<std::string, int32_t>> partitions;
  std::vector<rd_kafka_resp_err_t> errors;

  /// The outcome for one partition: its own error, else the overall error (a partition missing
  /// from the result, or an overall failure, counts as not committed).
  rd_kafka_resp_err_t ErrorFor(std::string_view topic, int32_t partition, rd_kafka_resp_err_t overall) const {
    const rd_kafka_resp_err_t top = overall != RD_KAFKA_RESP_ERR_NO_ERROR ? overall : err;
    for (size_t i = 0; i < partitions.size(); ++i) {
      if (partitions[i].second == partition && partitions[i].first == topic) {
        return errors[i] != RD_KAFKA_RESP_ERR_NO_ERROR ? errors[i] : top;
      }
    }
    return top != RD_KAFKA_RESP_ERR_NO_ERROR ? top : RD_KAFKA_RESP_ERR__NO_OFFSET;
  }
};

void OnCommitResult(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
                    void* opaque) {
  auto* result = static_cast<CommitResult*>(opaque);
  result->called = true;
  result->err = err;
  if (offsets == nullptr) return;
  for (int i = 0; i < offsets->cnt; ++i) {
    result->partitions.emplace_back(offsets->elems[i].topic, offsets->elems[i].partition);
    result->errors.push_back(offsets->elems[i].err);
  }
}

// Commit errors worth another attempt within the deadline: the coordinator moving or loading,
// timeouts and transport errors, and the group being in (or having just finished) a rebalance,
// after which a partition we still own commits fine under the new generation.
bool IsRetriableCommitError(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__NO_OFFSET:  // missing from the result: not known to be committed
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
      return true;
    default:
      return false;
  }
}

// Retriable errors that say the coordinator or the network was busy, not that the group moved
// on: a deferred revoke commit refused with one of these need not wait for another assignment.
bool IsCoordinatorOrTransportError(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE || err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
         err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT ||
         err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT;
}

}  // namespace

void OffsetCommitter::CommitOnRevoke(const std::vector<PartitionOffset>& offsets) {
  // Committed here, in the rebalance callback before the unassign, while the partitions are
  // still ours and the member still holds the generation they were assigned in: librdkafka
  // 2.0.2 allows a commit from the rebalance callback, and it rejoins (so that the next owner
  // can be given these partitions and fetch their committed offsets) only after the unassign
  // and the commits in flight are done. Synchronous and checked per partition, because
  // OffsetCommit answers per partition.
  //
  // Why not retry here: the commit is refused (REBALANCE_IN_PROGRESS, or ILLEGAL_GENERATION
  // once the generation moved on) when another rebalance has already begun on the
  // coordinator: with librdkafka's mock cluster, for instance, a follower whose SyncGroup
  // arrives after the leader's gets INVALID_REQUEST and rejoins at once. That rebalance
  // cannot finish until this member rejoins, which it does only after the callback called
  // incremental_unassign, so retrying inside the callback only waits for a deadline (and
  // auto-commit's own commit of the stored offsets on unassign meets the same refusal).
  // Instead the refused partitions are committed right after the rebalance, from Poll
  // (RetryDeferred), for up to 3 x query_timeout_ms. The broker accepts a commit from a
  // current member for a partition it no longer owns; the offsets are acknowledged ones, so a
  // late commit never skips an undelivered record. The new owner may have read the older
  // committed offset first and then re-reads from it: at-least-once.
  const Failures failed = CommitOnce(offsets);
  for (const auto& [p, e] : failed) {
    const std::string where = streams_.Name(p.stream) + " offset " + std::to_string(p.offset);
    if (IsRetriableCommitError(e)) {
      if (deferred_.empty()) {
        // The next rebalance may take up to about a session timeout before the commit can go
        // out: allow a few commit timeouts in all.
        deferred_deadline_ = std::chrono::steady_clock::now() + 3 * std::chrono::milliseconds(query_timeout_ms_);
        deferred_next_attempt_ = {};
        deferred_backoff_ = std::chrono::milliseconds(100);
      }
      deferred_.push_back(p);
      ++deferred_total_;
      log_.Log(LogTopic::kCommit, "commit on revoke refused for " + where + " (" + rd_kafka_err2name(e) +
                                      "): retrying after the rebalance");
    } else {
      log_.Log(LogKey::Kafka(e), "commit on revoke failed for " + where + " (" + rd_kafka_err2name(e) +
                                     "): the new owner re-reads from the last committed offset");
    }
  }
}

void OffsetCommitter::OnRevoke(bool cooperative) {
  // While revoke commits wait, a revoke means a rebalance is running: retry only after it
  // completed. Cooperative: this revoke is followed by an assign callback ("assign after
  // revoke", before the rejoin) and, after the rejoin's SyncGroup, by the real assign; only
  // after the second is the generation current again. A commit sent in between goes out with
  // the old generation, gets ILLEGAL_GENERATION, and librdkafka 2.0.2 answers that by dropping
  // the whole assignment and rejoining (librdkafka issue #4059). Eager: one assign follows.
  if (!deferred_.empty()) deferred_wait_assigns_ = cooperative ? 2 : 1;
}

void OffsetCommitter::OnAssign() {
  if (deferred_wait_assigns_ > 0) --deferred_wait_assigns_;
}

void OffsetCommitter::RetryDeferred() {
  const auto now = std::chrono::steady_clock::now();
  if (deferred_.empty() || now < deferred_next_attempt_) return;
  std::string gave_up;
  if (deferred_wait_assigns_ > 0) {
    if (now < deferred_deadline_) return;  // the group has not settled yet
    for (const PartitionOffset& p : deferred_) {
      gave_up += " " + streams_.Name(p.stream) + " offset " + std::to_string(p.offset) +
                 ": the group did not settle in time;";
    }
    deferred_.clear();
  }
  const Failures failed = CommitOnce(deferred_);
  deferred_.clear();
  for (const auto& [p, e] : failed) {
    if (IsRetriableCommitError(e) && now < deferred_deadline_) {
      deferred_.push_back(p);
      // Refused again: another rebalance began (or ended without us); wait for its assignment.
      if (!IsCoordinatorOrTransportError(e)) deferred_wait_assigns_ = 1;
      continue;
    }
    gave_up += " " + streams_.Name(p.stream) + " offset " + std::to_string(p.offset) + ": " +
               rd_kafka_err2name(e) + ";";
  }
  if (!gave_up.empty()) {
    log_.Log(LogTopic::kCommit, "commit of revoked partitions failed, giving up:" + gave_up +
                                    " their new owner re-reads from the last committed offset (records may be "
                                    "re-delivered)");
  }
  deferred_next_attempt_ = now + deferred_backoff_;
  deferred_backoff_ = std::min(deferred_backoff_ * 2, std::chrono::milliseconds(1000));
}

Status OffsetCommitter::CommitOnClose(const std::vector<PartitionOffset>& offsets) {
  // The final commit names every partition we still own with the offset we stored for it and
  // checks each partition's result: the pushed OffsetCommit errors of the combined fault test
  // come back per partition while the call as a whole succeeds. Retriable failures (coordinator
  // moving, timeouts, a rebalance started by another member leaving at the same moment) are
  // committed again until query_timeout_ms; a partition taken away meanwhile no longer belongs
  // to us and its new owner re-reads from the last committed offset (at-least-once).
  Status result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(query_timeout_ms_);
  if (!offsets.empty()) result = CommitAndVerify(offsets, deadline, "commit on close", /*owned=*/true);
  if (!offsets.empty() && result.ok()) {
    result = ReadBackCommitted(offsets, std::chrono::steady_clock::now() + std::chrono::milliseconds(query_timeout_ms_));
  }
  // Revoke commits still waiting for the group to settle: last chance. They belong to
  // partitions we no longer own, so a failure only means re-delivery by their new owner.
  if (!deferred_.empty()) {
    if (deferred_wait_assigns_ == 0) {
      Status s = CommitAndVerify(deferred_, deadline, "commit of revoked partitions on close", /*owned=*/false);
      if (!s.ok()) log_.Log(LogTopic::kCommit, s.message());
    } else {
      log_.Log(LogTopic::kCommit, "closing during a rebalance: " + std::to_string(deferred_.size()) +
                                      " refused revoke commit(s) dropped; their new owners re-read from the last "
                                      "committed offset");
    }
    deferred_.clear();
  }
  return result;
}

OffsetCommitter::Failures OffsetCommitter::CommitOnce(const std::vector<PartitionOffset>& offsets) {
  Failures failures;
  if (offsets.empty()) return failures;
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const PartitionOffset& p : offsets) {
    const PartitionStream& s = streams_[p.stream];
    rd_kafka_topic_partition_list_add(list.get(), s.topic.c_str(), s.partition)->offset = p.offset;
  }
  CommitResult result;
  // NULL queue: synchronous; the callback runs on this thread before the call returns.
  const rd_kafka_resp_err_t overall = rd_kafka_commit_queue(rk_, list.get(), nullptr, &OnCommitResult, &result);
  for (const PartitionOffset& p : offsets) {
    const PartitionStream& s = streams_[p.stream];
    const rd_kafka_resp_err_t e = result.ErrorFor(s.topic, s.partition, overall);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) failures.emplace_back(p, e);
  }
  return failures;
}

void OffsetCommitter::ServeQueueUntil(std::chrono::steady_clock::time_point until) {
  for (auto t = std::chrono::steady_clock::now(); t < until; t = std::chrono::steady_clock::now()) {
    const int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - t).count()) + 1;
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, ms)) rd_kafka_message_destroy(m);
  }
}

Status OffsetCommitter::CommitAndVerify(const std::vector<PartitionOffset>& offsets,
                                        std::chrono::steady_clock::time_point deadline, const char* what,
                                        bool owned) {
  std::vector<PartitionOffset> pending = offsets;
  auto backoff = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    const Failures failed = CommitOnce(pending);
    if (failed.empty()) {
      if (attempt > 1) {
        log_.Log(LogTopic::kCommit, std::string(what) + ": committed after " + std::to_string(attempt) + " attempts");
      }
      return Status::Ok();
    }
    bool retriable = true;
    for (const auto& [p, e] : failed) retriable = retriable && IsRetriableCommitError(e);
    const auto now = std::chrono::steady_clock::now();
    if (!retriable || now + backoff >= deadline) {
      std::string text = std::string("kafka source: ") + what + " failed after " + std::to_string(attempt) +
                         " attempt(s) for " + std::to_string(failed.size()) + " partition(s):";
      for (const auto& [p, e] : failed) {
        text += " " + streams_.Name(p.stream) + " offset " + std::to_string(p.offset) + ": " + rd_kafka_err2name(e) +
                ";";
      }
      text += " the next reader starts from the last committed offset (records may be re-delivered)";
      return KafkaErrorToStatus(failed.front().second, redactor_.Redact(text));
    }
    // Serve the consumer queue while backing off: a rebalance (ILLEGAL_GENERATION and
    // REBALANCE_IN_PROGRESS end only after we rejoin) makes progress through our own polls.
    ServeQueueUntil(now + backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    pending.clear();
    for (const auto& [p, e] : failed) {
      if (!owned || streams_[p.stream].assigned) {
        pending.push_back(p);
      } else {
        // Revoked meanwhile: the new owner's to commit; it starts from the last committed
        // offset, so at worst records are re-delivered.
        log_.Log(LogTopic::kCommit, std::string(what) + ": " + streams_.Name(p.stream) + " was revoked before its offset " +
                                        std::to_string(p.offset) + " could be committed (" + rd_kafka_err2name(e) +
                                        "); its new owner re-reads from the last committed offset");
      }
    }
    if (pending.empty()) return Status::Ok();
  }
}

Status OffsetCommitter::ReadBackCommitted(const std::vector<PartitionOffset>& offsets,
                                          std::chrono::steady_clock::time_point deadline) {
  constexpr int kMaxRounds = 5;
  // Why wait before reading back: librdkafka retries a failed OffsetCommit internally (twice,
  // retry.backoff.ms apart) by re-sending the same request later. An auto-commit of older stored
  // offsets that failed just before our final commit is therefore sent again after ours and moves
  // the committed offset back; and librdkafka's own commit at consumer_close skips the partition
  // because it believes our offset is committed. (This is how the combined Kafka fault test saw
  // one partition end at 7147 of 7474.) After our commit, every new auto-commit carries the final
  // stored offsets, so once the older retries are over, a read-back shows the final state.
  char backoff_text[32] = {0};
  size_t backoff_size = sizeof(backoff_text);
  int64_t retry_backoff_ms = 100;  // librdkafka's default
  if (rd_kafka_conf_get(rd_kafka_conf(rk_), "retry.backoff.ms", backoff_text, &backoff_size) == RD_KAFKA_CONF_OK) {
    retry_backoff_ms = std::max<int64_t>(std::strtoll(backoff_text, nullptr, 10), 0);
  }
  const auto settle = std::chrono::milliseconds(std::max<int64_t>(500, 3 * retry_backoff_ms + 200));
  for (int round = 1;; ++round) {
    ServeQueueUntil(std::min(std::chrono::steady_clock::now() + settle, deadline));
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const PartitionOffset& p : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), streams_[p.stream].topic.c_str(), streams_[p.stream].partition);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int timeout_ms = static_cast<int>(std::max<int64_t>(left.count(), 1000));
    const rd_kafka_resp_err_t err = rd_kafka_committed(rk_, list.get(), timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // The commit itself was acknowledged; only the check could not be made.
      log_.Log(LogTopic::kCommit,
               std::string("commit on close: could not read the committed offsets back: ") + rd_kafka_err2name(err));
      return Status::Ok();
    }
    std::vector<PartitionOffset> behind;
    std::string text;
    for (const PartitionOffset& p : offsets) {
      const PartitionStream& s = streams_[p.stream];
      for (int i = 0; i < list->cnt; ++i) {
        const rd_kafka_topic_partition_t& tp = list->elems[i];
        if (tp.partition != s.partition || s.topic != tp.topic) continue;
        // Lower than what we committed: an older commit landed after ours. Higher: the
        // partition's new owner already moved on; nothing to do.
        if (tp.err == RD_KAFKA_RESP_ERR_NO_ERROR && tp.offset < p.offset && s.assigned) {
          behind.push_back(p);
          text += " " + streams_.Name(p.stream) + " committed " + std::to_string(tp.offset) + " instead of " +
                  std::to_string(p.offset) + ";";
        }
      }
    }
    if (behind.empty()) return Status::Ok();
    if (round >= kMaxRounds || std::chrono::steady_clock::now() >= deadline) {
      return Unavailable("kafka source: commit on close: the group's committed offsets stayed behind after " +
                         std::to_string(round) + " read-backs:" + text);
    }
    log_.Log(LogTopic::kCommit, "commit on close: read back behind our commit (an older commit landed later):" + text +
                                    " committing again");
    SLUICE_RETURN_IF_ERROR(CommitAndVerify(behind, deadline, "commit on close (again)", /*owned=*/true));
  }
}

}  // namespace sluice::stages::internal
