#include "stages/kafka_source/kafka_source.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "stages/kafka_source/consumer_conf.h"

namespace sluice::stages {
namespace {

// Upper bound of messages taken from librdkafka per consume call.
constexpr size_t kMaxBatch = 4096;
// Longest a wait for records goes without serving the consumer queue (rebalance latency).
constexpr int kEventSliceMs = 10;
constexpr auto kLogInterval = std::chrono::seconds(10);
// Keys for LogLimited besides rd_kafka error codes (which are all > -300).
constexpr int kLogKeyRebalance = -100000;
constexpr int kLogKeyStore = -100001;
constexpr int kLogKeyStale = -100002;
constexpr int kLogKeyCatchUp = -100003;
constexpr int kLogKeyCommit = -100004;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

std::string ErrorText(rd_kafka_error_t* error) {
  std::string s = rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return s;
}

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

}  // namespace

KafkaSource::KafkaSource(const KafkaSourceConfig& config) : config_(config) {
  for (const auto& [name, value] : config_.properties) {
    if (IsSecretProperty(name)) redactor_.AddSecret(value);
  }
}

StatusOr<std::unique_ptr<KafkaSource>> KafkaSource::Create(const KafkaSourceConfig& config) {
  SLUICE_RETURN_IF_ERROR(Validate(config));
  StatusOr<internal::ConfPtr> conf = internal::BuildConsumerConf(config);
  if (!conf.ok()) return conf.status();
  std::unique_ptr<KafkaSource> source(new KafkaSource(config));
  rd_kafka_conf_t* c = conf->get();
  rd_kafka_conf_set_opaque(c, source.get());
  rd_kafka_conf_set_rebalance_cb(c, &KafkaSource::RebalanceThunk);
  rd_kafka_conf_set_error_cb(c, &KafkaSource::ErrorThunk);
  rd_kafka_conf_set_log_cb(c, &KafkaSource::LogThunk);
  if (config.statistics_interval_ms > 0) rd_kafka_conf_set_stats_cb(c, &KafkaSource::StatsThunk);

  char errstr[512] = {0};
  // On success rd_kafka_new takes ownership of the conf object.
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof(errstr));
  if (rk == nullptr) {
    return InvalidArgument("kafka source: cannot create consumer: " + source->redactor_.Redact(errstr));
  }
  (void)conf->release();
  source->rk_ = rk;
  // Route the main event queue (rebalance, errors, stats) into the consumer queue so one
  // consume call serves everything, on the ingress thread.
  rd_kafka_poll_set_consumer(rk);
  source->queue_ = rd_kafka_queue_get_consumer(rk);
  source->records_queue_ = rd_kafka_queue_new(rk);
  source->batch_.resize(kMaxBatch);
  return source;
}

KafkaSource::~KafkaSource() {
  if (!closed_ && rk_ != nullptr) (void)Close();
}

Status KafkaSource::Start(SourceListener* listener) {
  if (closed_) return FailedPrecondition("kafka source: Start after Close");
  if (started_) return FailedPrecondition("kafka source: Start called twice");
  listener_ = listener;
  PartitionListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(config_.topics.size())));
  for (const std::string& t : config_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return internal::KafkaErrorToStatus(err, "kafka source: subscribe");
  started_ = true;
  return Status::Ok();
}

StatusOr<size_t> KafkaSource::Poll(RecordChunk& chunk, size_t max_records, int timeout_ms) {
  if (!started_ || closed_) return FailedPrecondition("kafka source: Poll before Start or after Close");
  if (!fatal_.ok()) return fatal_;
  RetryDeferredRevokeCommits();
  size_t added = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, timeout_ms));
  while (fatal_.ok()) {
    ServeEvents(chunk, added, 0);
    const int left = static_cast<int>(std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count()));
    if (paused_) {
      // Only events while paused (rebalances must not wait for the sink).
      if (left > 0 && added == 0) ServeEvents(chunk, added, left);
      break;
    }
    if (added >= max_records) break;
    // Wait in short slices so a rebalance is served within kEventSliceMs even when no record comes.
    const bool may_wait = added == 0 && !Exhausted();
    StatusOr<size_t> got =
        TakeRecords(chunk, added, std::min(max_records - added, kMaxBatch), may_wait ? std::min(left, kEventSliceMs) : 0);
    if (!got.ok()) return got.status();
    if (*got == 0 && (!may_wait || left == 0)) break;
  }
  if (added > 0) chunk.FinishInput();
  if (!fatal_.ok() && added == 0) return fatal_;
  return added;
}

StatusOr<size_t> KafkaSource::TakeRecords(RecordChunk& chunk, size_t& added, size_t want, int timeout_ms) {
  size_t n = 0;
  if (timeout_ms > 0) {
    // rd_kafka_consume_batch_queue with a timeout waits for a full batch; wait for one record.
    rd_kafka_message_t* m = rd_kafka_consume_queue(records_queue_, timeout_ms);
    if (m == nullptr) return size_t{0};
    HandleMessage(m, chunk, added);
    rd_kafka_message_destroy(m);
    return size_t{1};
  }
  if (config_.poll_mode == KafkaPollMode::kBatchQueue) {
    const ssize_t got = rd_kafka_consume_batch_queue(records_queue_, 0, batch_.data(), want);
    if (got < 0) return internal::KafkaErrorToStatus(rd_kafka_last_error(), "kafka source: consume");
    n = static_cast<size_t>(got);
  } else {
    while (n < want) {
      rd_kafka_message_t* m = rd_kafka_consume_queue(records_queue_, 0);
      if (m == nullptr) break;
      batch_[n++] = m;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    HandleMessage(batch_[i], chunk, added);
    rd_kafka_message_destroy(batch_[i]);
  }
  return n;
}

void KafkaSource::ServeEvents(RecordChunk& chunk, size_t& added, int timeout_ms) {
  // rd_kafka_consumer_poll runs every queued callback (rebalance, error, stats) and returns at
  // the first message, if any; it also tells librdkafka the application is alive
  // (max.poll.interval.ms) while it is paused.
  for (int i = 0; i < 64; ++i) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, i == 0 ? timeout_ms : 0);
    if (m == nullptr) return;
    HandleMessage(m, chunk, added);
    rd_kafka_message_destroy(m);
  }
}

void KafkaSource::HandleMessage(rd_kafka_message_t* m, RecordChunk& chunk, size_t& added) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (StreamState* s = FindMessageStream(m)) {
      if (s->assigned) s->done = true;
    }
    return;
  }
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    char buf[512] = {0};
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk_, buf, sizeof(buf));
    if (fatal != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fatal_ = FailedPrecondition("kafka source: fatal consumer error: " + redactor_.Redact(buf));
      return;
    }
    std::string where = m->rkt != nullptr ? std::string(rd_kafka_topic_name(m->rkt)) + "[" +
                                                std::to_string(m->partition) + "]: "
                                          : std::string();
    LogLimited(m->err, "consumer error (skipped): " + where + rd_kafka_message_errstr(m));
    return;
  }
  StreamState* s = FindMessageStream(m);
  if (s == nullptr || !s->assigned) {
    // A message of a partition we no longer own: its new owner reads it from the committed offset.
    LogLimited(kLogKeyStale, "dropped a message of an unassigned partition (re-read by its owner)");
    return;
  }
  const auto id = static_cast<uint32_t>(s - streams_.data());
  // A null payload (tombstone) is still a record: the pipeline skips it (--skip-tombstones) or
  // rejects it as a null value, never as an empty document.
  std::string_view payload = m->payload != nullptr
                                 ? std::string_view(static_cast<const char*>(m->payload), m->len)
                                 : std::string_view();
  chunk.AddInput(payload, SourcePosition{id, s->generation, m->offset});
  // Key, headers and null-ness travel with the record for its dead letter; only messages that
  // carry any pay for the copy (headers are parsed by librdkafka only when asked for).
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) headers = nullptr;
  if (m->key != nullptr || m->payload == nullptr || headers != nullptr) {
    chunk.AttachMeta(m->key, m->key_len, m->payload == nullptr);
    if (headers != nullptr) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        chunk.AppendHeader(name, value, size);
      }
    }
  }
  ++added;
  if (s->target_offset >= 0 && m->offset + 1 >= s->target_offset) s->done = true;
}

bool KafkaSource::Exhausted() const {
  if (!config_.until_caught_up || !assigned_once_ || awaiting_assignment_) return false;
  for (const StreamState& s : streams_) {
    if (s.assigned && !s.done) return false;
  }
  return true;
}

void KafkaSource::SetPaused(bool paused) {
  // No rd_kafka_pause_partitions: see the header. Poll stops taking records; librdkafka's own
  // queue thresholds then stop the fetcher, and a resume starts from the records already there.
  paused_ = paused;
}

Status KafkaSource::Store(const std::vector<CommitPoint>& points) {
  if (rk_ == nullptr || closed_) return FailedPrecondition("kafka source: Store after Close");
  if (points.empty()) return Status::Ok();
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(points.size())));
  for (const CommitPoint& p : points) {
    if (p.stream >= streams_.size()) continue;
    const StreamState& s = streams_[p.stream];
    if (!s.assigned || s.generation != p.generation) continue;  // stale: partition moved on
    rd_kafka_topic_partition_list_add(list.get(), s.topic.c_str(), s.partition)->offset = p.next_offset;
  }
  if (list->cnt == 0) return Status::Ok();
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk_, list.get());
  // Remember what was stored, per partition, for the explicit final commit in Close().
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (StreamState* st = FindStream(tp.topic, tp.partition)) st->stored_offset = tp.offset;
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  // Per-partition __STATE means the partition was unassigned meanwhile: harmless, its new owner
  // re-reads from the committed offset. Anything else is a real error.
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR && tp.err != RD_KAFKA_RESP_ERR__STATE) {
      return internal::KafkaErrorToStatus(tp.err, std::string("kafka source: store offset for ") +
                                                      tp.topic + "[" + std::to_string(tp.partition) + "]");
    }
  }
  LogLimited(kLogKeyStore, std::string("offsets_store: ") + rd_kafka_err2str(err) +
                               " (partitions no longer assigned)");
  return Status::Ok();
}

Status KafkaSource::Close() {
  if (closed_ || rk_ == nullptr) return Status::Ok();
  closing_ = true;
  Status result;
  if (started_) {
    // The final commit names every partition we still own with the offset we stored for it and
    // checks each partition's result: the pushed OffsetCommit errors of the combined fault test
    // come back per partition while the call as a whole succeeds. Retriable failures (coordinator
    // moving, timeouts, a rebalance started by another member leaving at the same moment) are
    // committed again until query_timeout_ms; a partition taken away meanwhile no longer belongs
    // to us and its new owner re-reads from the last committed offset (at-least-once).
    std::vector<PartitionOffset> offsets;
    for (size_t i = 0; i < streams_.size(); ++i) {
      if (streams_[i].assigned && streams_[i].stored_offset >= 0) {
        offsets.push_back(PartitionOffset{static_cast<uint32_t>(i), streams_[i].stored_offset});
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.query_timeout_ms);
    if (!offsets.empty()) result = CommitAndVerify(offsets, deadline, "commit on close", /*owned=*/true);
    if (!offsets.empty() && result.ok()) {
      result = ReadBackCommitted(offsets, std::chrono::steady_clock::now() +
                                              std::chrono::milliseconds(config_.query_timeout_ms));
    }
    // Revoke commits still waiting for the group to settle: last chance. They belong to
    // partitions we no longer own, so a failure only means re-delivery by their new owner.
    if (!deferred_commits_.empty()) {
      if (deferred_wait_assigns_ == 0) {
        Status s = CommitAndVerify(deferred_commits_, deadline, "commit of revoked partitions on close", /*owned=*/false);
        if (!s.ok()) LogLimited(kLogKeyCommit, s.ToString());
      } else {
        LogLimited(kLogKeyCommit, "closing during a rebalance: " + std::to_string(deferred_commits_.size()) +
                                      " refused revoke commit(s) dropped; their new owners re-read from the last "
                                      "committed offset");
      }
      deferred_commits_.clear();
    }
  }
  // librdkafka 2.0.2 aborts the process inside rd_kafka_destroy (assertion `assignor_state` in
  // rdkafka_sticky_assignor.c; librdkafka issue #4312, fixed in 2.3.0) when a cooperative-sticky
  // member has joined the group but has not received its first assignment yet: a Ctrl-C in the
  // first seconds of a run, or a member stopped while the group is still forming. Give the
  // group time to hand out that first assignment (its callback creates the state); if it never
  // comes, the handle is left alive instead of crashing (Close is the source's last call, so
  // this only ever happens on the way out).
  const bool joined_unassigned = started_ && config_.cooperative && !assigned_once_ && JoinedGroup();
  if (joined_unassigned) WaitForFirstAssignment();
  const bool keep_handle = started_ && config_.cooperative && !assigned_once_ && JoinedGroup();
  // Serves the final revoke (without calling the listener: the pipeline already drained and
  // stored before Close) and leaves the group.
  rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && result.ok()) {
    result = internal::KafkaErrorToStatus(err, "kafka source: close");
  }
  rd_kafka_queue_destroy(queue_);
  queue_ = nullptr;
  rd_kafka_queue_destroy(records_queue_);  // drops the unread prefetch; it was never stored
  records_queue_ = nullptr;
  if (keep_handle) {
    LogLimited(kLogKeyRebalance, "closed before the group gave this member its first assignment; the consumer "
                                 "handle is not destroyed (librdkafka 2.0.2 would abort: issue #4312)");
  } else {
    rd_kafka_destroy(rk_);
  }
  rk_ = nullptr;
  closed_ = true;
  for (StreamState& s : streams_) s.assigned = false;
  return result;
}

bool KafkaSource::JoinedGroup() const {
  char* id = rd_kafka_memberid(rk_);
  const bool joined = id != nullptr && id[0] != '\0';
  if (id != nullptr) rd_kafka_mem_free(rk_, id);
  return joined;
}

void KafkaSource::WaitForFirstAssignment() {
  // Polling serves the rebalance callback (OnAssign); records fetched meanwhile are dropped
  // unstored, so their partitions' next owner reads them again.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.query_timeout_ms);
  while (!assigned_once_ && std::chrono::steady_clock::now() < deadline) {
    const ssize_t got = rd_kafka_consume_batch_queue(queue_, 100, batch_.data(), batch_.size());
    for (ssize_t i = 0; i < got; ++i) rd_kafka_message_destroy(batch_[static_cast<size_t>(i)]);
  }
}

KafkaSource::CommitFailures KafkaSource::CommitOnce(const std::vector<PartitionOffset>& offsets) {
  CommitFailures failures;
  if (offsets.empty()) return failures;
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const PartitionOffset& p : offsets) {
    const StreamState& s = streams_[p.stream];
    rd_kafka_topic_partition_list_add(list.get(), s.topic.c_str(), s.partition)->offset = p.offset;
  }
  CommitResult result;
  // NULL queue: synchronous; the callback runs on this thread before the call returns.
  const rd_kafka_resp_err_t overall = rd_kafka_commit_queue(rk_, list.get(), nullptr, &OnCommitResult, &result);
  for (const PartitionOffset& p : offsets) {
    const StreamState& s = streams_[p.stream];
    const rd_kafka_resp_err_t e = result.ErrorFor(s.topic, s.partition, overall);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) failures.emplace_back(p, e);
  }
  return failures;
}

Status KafkaSource::CommitAndVerify(const std::vector<PartitionOffset>& offsets,
                                    std::chrono::steady_clock::time_point deadline, const char* what, bool owned) {
  std::vector<PartitionOffset> pending = offsets;
  auto backoff = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    const CommitFailures failed = CommitOnce(pending);
    if (failed.empty()) {
      if (attempt > 1) {
        LogLimited(kLogKeyCommit, std::string(what) + ": committed after " + std::to_string(attempt) + " attempts");
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
        const StreamState& s = streams_[p.stream];
        text += " " + s.topic + "[" + std::to_string(s.partition) + "] offset " + std::to_string(p.offset) + ": " +
                rd_kafka_err2name(e) + ";";
      }
      text += " the next reader starts from the last committed offset (records may be re-delivered)";
      return internal::KafkaErrorToStatus(failed.front().second, redactor_.Redact(text));
    }
    // Serve the consumer queue while backing off: a rebalance (ILLEGAL_GENERATION and
    // REBALANCE_IN_PROGRESS end only after we rejoin) makes progress through our own polls.
    // Messages that arrive now were never handed to the pipeline, so nothing stored covers them.
    const auto until = now + backoff;
    for (auto t = now; t < until; t = std::chrono::steady_clock::now()) {
      const int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - t).count()) + 1;
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, ms)) rd_kafka_message_destroy(m);
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    pending.clear();
    for (const auto& [p, e] : failed) {
      const StreamState& s = streams_[p.stream];
      if (!owned || s.assigned) {
        pending.push_back(p);
      } else {
        // Revoked meanwhile: the new owner's to commit; it starts from the last committed
        // offset, so at worst records are re-delivered.
        LogLimited(kLogKeyCommit, std::string(what) + ": " + s.topic + "[" + std::to_string(s.partition) +
                                      "] was revoked before its offset " + std::to_string(p.offset) +
                                      " could be committed (" + rd_kafka_err2name(e) +
                                      "); its new owner re-reads from the last committed offset");
      }
    }
    if (pending.empty()) return Status::Ok();
  }
}

Status KafkaSource::ReadBackCommitted(const std::vector<PartitionOffset>& offsets,
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
    const auto until = std::min(std::chrono::steady_clock::now() + settle, deadline);
    for (auto t = std::chrono::steady_clock::now(); t < until; t = std::chrono::steady_clock::now()) {
      const int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - t).count()) + 1;
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, ms)) rd_kafka_message_destroy(m);
    }
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const PartitionOffset& p : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), streams_[p.stream].topic.c_str(), streams_[p.stream].partition);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int timeout_ms = static_cast<int>(std::max<int64_t>(left.count(), 1000));
    const rd_kafka_resp_err_t err = rd_kafka_committed(rk_, list.get(), timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // The commit itself was acknowledged; only the check could not be made.
      LogLimited(kLogKeyCommit, std::string("commit on close: could not read the committed offsets back: ") +
                                    rd_kafka_err2name(err));
      return Status::Ok();
    }
    std::vector<PartitionOffset> behind;
    std::string text;
    for (const PartitionOffset& p : offsets) {
      const StreamState& s = streams_[p.stream];
      for (int i = 0; i < list->cnt; ++i) {
        const rd_kafka_topic_partition_t& tp = list->elems[i];
        if (tp.partition != s.partition || s.topic != tp.topic) continue;
        // Lower than what we committed: an older commit landed after ours. Higher: the
        // partition's new owner already moved on; nothing to do.
        if (tp.err == RD_KAFKA_RESP_ERR_NO_ERROR && tp.offset < p.offset && s.assigned) {
          behind.push_back(p);
          text += " " + s.topic + "[" + std::to_string(s.partition) + "] committed " + std::to_string(tp.offset) +
                  " instead of " + std::to_string(p.offset) + ";";
        }
      }
    }
    if (behind.empty()) return Status::Ok();
    if (round >= kMaxRounds || std::chrono::steady_clock::now() >= deadline) {
      return Unavailable("kafka source: commit on close: the group's committed offsets stayed behind after " +
                         std::to_string(round) + " read-backs:" + text);
    }
    LogLimited(kLogKeyCommit, "commit on close: read back behind our commit (an older commit landed later):" + text +
                                  " committing again");
    SLUICE_RETURN_IF_ERROR(CommitAndVerify(behind, deadline, "commit on close (again)", /*owned=*/true));
  }
}

void KafkaSource::RetryDeferredRevokeCommits() {
  const auto now = std::chrono::steady_clock::now();
  if (deferred_commits_.empty() || now < deferred_next_attempt_) return;
  std::string gave_up;
  if (deferred_wait_assigns_ > 0) {
    if (now < deferred_deadline_) return;  // the group has not settled yet
    for (const PartitionOffset& p : deferred_commits_) {
      const StreamState& s = streams_[p.stream];
      gave_up += " " + s.topic + "[" + std::to_string(s.partition) + "] offset " + std::to_string(p.offset) +
                 ": the group did not settle in time;";
    }
    deferred_commits_.clear();
  }
  const CommitFailures failed = CommitOnce(deferred_commits_);
  deferred_commits_.clear();
  for (const auto& [p, e] : failed) {
    if (IsRetriableCommitError(e) && now < deferred_deadline_) {
      deferred_commits_.push_back(p);
      // Refused again: another rebalance began (or ended without us); wait for its assignment.
      if (e != RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE && e != RD_KAFKA_RESP_ERR_NOT_COORDINATOR &&
          e != RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS && e != RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT &&
          e != RD_KAFKA_RESP_ERR__TIMED_OUT && e != RD_KAFKA_RESP_ERR__TRANSPORT) {
        deferred_wait_assigns_ = 1;
      }
      continue;
    }
    const StreamState& s = streams_[p.stream];
    gave_up += " " + s.topic + "[" + std::to_string(s.partition) + "] offset " + std::to_string(p.offset) + ": " +
               rd_kafka_err2name(e) + ";";
  }
  if (!gave_up.empty()) {
    LogLimited(kLogKeyCommit, "commit of revoked partitions failed, giving up:" + gave_up +
                                  " their new owner re-reads from the last committed offset (records may be "
                                  "re-delivered)");
  }
  deferred_next_attempt_ = now + deferred_backoff_;
  deferred_backoff_ = std::min(deferred_backoff_ * 2, std::chrono::milliseconds(1000));
}

KafkaSource::RevokeCommitStats KafkaSource::RevokeCommits() const {
  return RevokeCommitStats{deferred_total_, deferred_commits_.size()};
}

StreamInfo KafkaSource::DescribeStream(uint32_t stream) const {
  if (stream >= streams_.size()) return StreamInfo{};
  return StreamInfo{streams_[stream].topic, streams_[stream].partition};
}

std::vector<PartitionLag> KafkaSource::Lag() const {
  std::lock_guard<std::mutex> lock(lag_mu_);
  return lag_;
}

std::vector<uint32_t> KafkaSource::AssignedStreams() const {
  std::vector<uint32_t> ids;
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i].assigned) ids.push_back(static_cast<uint32_t>(i));
  }
  return ids;
}

// ---- callbacks (all served inside Poll/Close on the ingress thread, except LogThunk) ----

void KafkaSource::RebalanceThunk(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<KafkaSource*>(opaque)->OnRebalance(err, partitions);
}

void KafkaSource::ErrorThunk(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512] = {0};
    rd_kafka_fatal_error(rk, buf, sizeof(buf));
    self->fatal_ = FailedPrecondition("kafka source: fatal consumer error: " + self->redactor_.Redact(buf));
    return;
  }
  // Everything else (all brokers down, transport errors, auth retries) is transient: librdkafka
  // keeps reconnecting, we keep polling.
  self->LogLimited(err, std::string("kafka error (transient): ") + rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) +
                            ": " + reason);
}

int KafkaSource::StatsThunk(rd_kafka_t* /*rk*/, char* json, size_t json_len, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  StatusOr<std::vector<PartitionLag>> lag = ParseConsumerLag(std::string_view(json, json_len));
  if (lag.ok()) {
    std::lock_guard<std::mutex> lock(self->lag_mu_);
    self->lag_ = std::move(lag).value();
  }
  return 0;  // librdkafka frees json
}

void KafkaSource::LogThunk(const rd_kafka_t* rk, int /*level*/, const char* fac, const char* buf) {
  auto* self = static_cast<KafkaSource*>(rd_kafka_opaque(rk));
  std::string text = std::string(fac) + ": " + buf;
  if (self == nullptr) {
    internal::SecretRedactor none;
    internal::LogKafka(none, "kafka", text);
    return;
  }
  internal::LogKafka(self->redactor_, "kafka", text);
}

void KafkaSource::OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    OnAssign(partitions);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    OnRevoke(partitions);
  } else {
    LogLimited(kLogKeyRebalance, std::string("rebalance error: ") + rd_kafka_err2str(err));
    rd_kafka_assign(rk_, nullptr);
    for (StreamState& s : streams_) s.assigned = false;
    awaiting_assignment_ = true;  // the group assigns again
  }
}

void KafkaSource::OnAssign(rd_kafka_topic_partition_list_t* partitions) {
  last_topic_handle_ = nullptr;
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_), "COOPERATIVE") == 0;
  std::vector<uint32_t> ids;
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = partitions->elems[i];
    uint32_t id = StreamIdFor(tp.topic, tp.partition);
    StreamState& s = streams_[id];
    ++s.generation;
    s.assigned = true;
    s.done = false;
    s.stored_offset = -1;
    ids.push_back(id);
  }
  if (!cooperative) {
    // Eager: the list is the whole new assignment.
    for (size_t i = 0; i < streams_.size(); ++i) {
      if (std::find(ids.begin(), ids.end(), i) == ids.end()) streams_[i].assigned = false;
    }
  }
  if (config_.until_caught_up && !ids.empty()) ComputeCatchUpTargets(ids);
  // Forward each partition's fetch queue to records_queue_ before fetching starts. librdkafka
  // keeps an application-set forward across fetch restarts; it is set again on every assignment
  // so a partition that comes back is forwarded too.
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = partitions->elems[i];
    if (rd_kafka_queue_t* pq = rd_kafka_queue_get_partition(rk_, tp.topic, tp.partition)) {
      rd_kafka_queue_forward(pq, records_queue_);
      rd_kafka_queue_destroy(pq);
    }
  }
  if (cooperative) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_, partitions)) {
      LogLimited(kLogKeyRebalance, "incremental_assign failed: " + ErrorText(e));
    }
  } else {
    rd_kafka_resp_err_t e = rd_kafka_assign(rk_, partitions);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) LogLimited(e, std::string("assign failed: ") + rd_kafka_err2str(e));
  }
  assigned_once_ = true;
  awaiting_assignment_ = false;
  if (deferred_wait_assigns_ > 0) --deferred_wait_assigns_;
}

void KafkaSource::OnRevoke(rd_kafka_topic_partition_list_t* partitions) {
  last_topic_handle_ = nullptr;
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_), "COOPERATIVE") == 0;
  std::vector<uint32_t> ids;
  for (int i = 0; i < partitions->cnt; ++i) {
    StreamState* s = FindStream(partitions->elems[i].topic, partitions->elems[i].partition);
    if (s != nullptr && s->assigned) ids.push_back(static_cast<uint32_t>(s - streams_.data()));
  }
  // Lost partitions (session timed out) belong to someone else already: committing would fail
  // or, worse, move their offsets; only let the pipeline drop its in-flight work.
  const bool lost = rd_kafka_assignment_lost(rk_) != 0;
  // A lost assignment (the member was fenced, e.g. its session timed out) and an eager revoke
  // are both followed by a new assignment: until it comes, "nothing assigned" does not mean
  // "caught up". A cooperative revoke hands partitions to another member, which reads them.
  if (lost || !cooperative) awaiting_assignment_ = true;
  if (!closing_ && listener_ != nullptr && !ids.empty()) {
    std::vector<CommitPoint> points = listener_->OnStreamsRevoked(ids);
    if (!lost && !points.empty()) {
      Status s = Store(points);
      if (!s.ok()) LogLimited(kLogKeyStore, "store on revoke: " + s.ToString());
      std::vector<PartitionOffset> offsets;
      for (const CommitPoint& p : points) {
        if (p.stream >= streams_.size()) continue;
        const StreamState& st = streams_[p.stream];
        if (!st.assigned || st.generation != p.generation) continue;
        offsets.push_back(PartitionOffset{p.stream, p.next_offset});
      }
      // Commit here, before the unassign, while the partitions are still ours and the member
      // still holds the generation they were assigned in: librdkafka 2.0.2 allows a commit from
      // the rebalance callback, and it rejoins (so that the next owner can be given these
      // partitions and fetch their committed offsets) only after the unassign and the commits
      // in flight are done. Synchronous and checked per partition, because OffsetCommit
      // answers per partition.
      //
      // Why not retry here: the commit is refused (REBALANCE_IN_PROGRESS, or ILLEGAL_GENERATION
      // once the generation moved on) when another rebalance has already begun on the
      // coordinator: with librdkafka's mock cluster, for instance, a follower whose SyncGroup
      // arrives after the leader's gets INVALID_REQUEST and rejoins at once. That rebalance
      // cannot finish until this member rejoins, which it does only after this callback called
      // incremental_unassign, so retrying inside the callback only waits for a deadline (and
      // auto-commit's own commit of the stored offsets on unassign meets the same refusal).
      // Instead the refused partitions are committed right after the rebalance, from Poll
      // (RetryDeferredRevokeCommits), for up to query_timeout_ms. The broker accepts a commit
      // from a current member for a partition it no longer owns; the offsets are acknowledged
      // ones, so a late commit never skips an undelivered record. The new owner may have read
      // the older committed offset first and then re-reads from it: at-least-once.
      const CommitFailures failed = CommitOnce(offsets);
      for (const auto& [p, e] : failed) {
        const StreamState& st = streams_[p.stream];
        const std::string where = st.topic + "[" + std::to_string(st.partition) + "] offset " + std::to_string(p.offset);
        if (IsRetriableCommitError(e)) {
          if (deferred_commits_.empty()) {
            // The next rebalance may take up to about a session timeout before the commit can
            // go out: allow a few commit timeouts in all.
            deferred_deadline_ =
                std::chrono::steady_clock::now() + 3 * std::chrono::milliseconds(config_.query_timeout_ms);
            deferred_next_attempt_ = {};
            deferred_backoff_ = std::chrono::milliseconds(100);
          }
          deferred_commits_.push_back(p);
          ++deferred_total_;
          LogLimited(kLogKeyCommit, "commit on revoke refused for " + where + " (" + rd_kafka_err2name(e) +
                                        "): retrying after the rebalance");
        } else {
          LogLimited(e, "commit on revoke failed for " + where + " (" + rd_kafka_err2name(e) +
                            "): the new owner re-reads from the last committed offset");
        }
      }
    }
  }
  // While revoke commits wait, a revoke means a rebalance is running: retry only after it
  // completed. Cooperative: this revoke is followed by an assign callback ("assign after
  // revoke", before the rejoin) and, after the rejoin's SyncGroup, by the real assign; only
  // after the second is the generation current again. A commit sent in between goes out with
  // the old generation, gets ILLEGAL_GENERATION, and librdkafka 2.0.2 answers that by dropping
  // the whole assignment and rejoining (librdkafka issue #4059). Eager: one assign follows.
  if (!deferred_commits_.empty()) deferred_wait_assigns_ = cooperative ? 2 : 1;
  if (cooperative) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_, partitions)) {
      LogLimited(kLogKeyRebalance, "incremental_unassign failed: " + ErrorText(e));
    }
  } else {
    rd_kafka_assign(rk_, nullptr);
  }
  for (uint32_t id : ids) streams_[id].assigned = false;
  if (!cooperative) {
    for (StreamState& s : streams_) s.assigned = false;
  }
}

void KafkaSource::ComputeCatchUpTargets(const std::vector<uint32_t>& ids) {
  // Targets are fixed at a partition's first assignment (the run's start): messages produced
  // later are not waited for.
  for (uint32_t id : ids) {
    StreamState& s = streams_[id];
    if (s.target_offset >= 0) continue;
    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk_, s.topic.c_str(), s.partition, &low, &high,
                                                               config_.query_timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      LogLimited(kLogKeyCatchUp, "until-caught-up: watermark query failed for " + s.topic + "[" +
                                     std::to_string(s.partition) + "]: " + rd_kafka_err2str(err) +
                                     " (waiting for end-of-partition instead)");
      continue;
    }
    s.target_offset = high;
    if (high <= low) s.done = true;  // empty partition: nothing to read
  }
  // A partition whose committed offset already reached the target gets no message and possibly
  // no EOF event: decide from the committed offset.
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(ids.size())));
  for (uint32_t id : ids) {
    if (streams_[id].target_offset >= 0 && !streams_[id].done) {
      rd_kafka_topic_partition_list_add(list.get(), streams_[id].topic.c_str(), streams_[id].partition);
    }
  }
  if (list->cnt == 0) return;
  rd_kafka_resp_err_t err = rd_kafka_committed(rk_, list.get(), config_.query_timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    LogLimited(kLogKeyCatchUp, std::string("until-caught-up: committed-offset query failed: ") +
                                   rd_kafka_err2str(err) + " (waiting for messages/end-of-partition)");
    return;
  }
  const bool latest = config_.auto_offset_reset == "latest" || config_.auto_offset_reset == "largest" ||
                      config_.auto_offset_reset == "end";
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    StreamState* s = FindStream(tp.topic, tp.partition);
    if (s == nullptr || tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (tp.offset >= 0) {
      if (tp.offset >= s->target_offset) s->done = true;
    } else if (latest) {
      s->done = true;  // starts at the end
    }
  }
}

uint32_t KafkaSource::StreamIdFor(std::string_view topic, int32_t partition) {
  auto it = stream_ids_.find(topic);
  if (it == stream_ids_.end()) it = stream_ids_.emplace(std::string(topic), std::vector<int32_t>()).first;
  std::vector<int32_t>& by_partition = it->second;
  if (partition >= static_cast<int32_t>(by_partition.size())) by_partition.resize(partition + 1, -1);
  if (by_partition[partition] < 0) {
    by_partition[partition] = static_cast<int32_t>(streams_.size());
    StreamState s;
    s.topic = std::string(topic);
    s.partition = partition;
    streams_.push_back(std::move(s));
  }
  return static_cast<uint32_t>(by_partition[partition]);
}

KafkaSource::StreamState* KafkaSource::FindStream(std::string_view topic, int32_t partition) {
  auto it = stream_ids_.find(topic);
  if (it == stream_ids_.end() || partition < 0 || partition >= static_cast<int32_t>(it->second.size())) {
    return nullptr;
  }
  int32_t id = it->second[partition];
  return id < 0 ? nullptr : &streams_[id];
}

KafkaSource::StreamState* KafkaSource::FindMessageStream(const rd_kafka_message_t* m) {
  if (m->rkt != nullptr && m->rkt == last_topic_handle_ && m->partition == last_partition_) {
    return &streams_[last_stream_];
  }
  if (m->rkt == nullptr) return nullptr;
  StreamState* s = FindStream(rd_kafka_topic_name(m->rkt), m->partition);
  if (s != nullptr) {
    last_topic_handle_ = m->rkt;
    last_partition_ = m->partition;
    last_stream_ = static_cast<uint32_t>(s - streams_.data());
  }
  return s;
}

void KafkaSource::LogLimited(int key, const std::string& text) {
  LogLimit& l = log_limits_[key];
  auto now = std::chrono::steady_clock::now();
  if (l.last.time_since_epoch().count() != 0 && now - l.last < kLogInterval) {
    ++l.suppressed;
    return;
  }
  std::string line = text;
  if (l.suppressed > 0) line += " (" + std::to_string(l.suppressed) + " similar suppressed)";
  l.last = now;
  l.suppressed = 0;
  internal::LogKafka(redactor_, "kafka source", line);
}

}  // namespace sluice::stages
