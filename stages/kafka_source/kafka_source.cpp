#include "stages/kafka_source/kafka_source.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "stages/kafka_source/auth_failure.h"
#include "stages/kafka_source/consumer_conf.h"
#include "stages/kafka_source/topic_checks.h"

namespace sluice::stages {
namespace {

// Upper bound of messages taken from librdkafka per consume call.
constexpr size_t kMaxBatch = 4096;
// Longest a wait for records goes without serving the consumer queue (rebalance latency).
constexpr int kEventSliceMs = 10;

using internal::LogKey;
using internal::LogTopic;
using internal::PartitionOffset;
using internal::PartitionStream;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// session.timeout.ms as the consumer will use it (librdkafka's default unless -X sets it).
int SessionTimeoutMs(const KafkaSourceConfig& config) {
  constexpr int kLibrdkafkaDefault = 45000;
  for (const auto& [name, value] : config.properties) {
    if (name == "session.timeout.ms") return std::atoi(value.c_str());
  }
  return kLibrdkafkaDefault;
}

std::string ErrorText(rd_kafka_error_t* error) {
  std::string s = rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return s;
}

}  // namespace

KafkaSource::KafkaSource(const KafkaSourceConfig& config)
    : config_(config),
      startup_(config.brokers, config.group_id, config.startup_timeout_ms, SessionTimeoutMs(config)),
      log_(redactor_),
      committer_(streams_, redactor_, log_, config_.query_timeout_ms) {
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
  source->committer_.Attach(rk);
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
  startup_.Arm(std::chrono::steady_clock::now());
  return Status::Ok();
}

StatusOr<size_t> KafkaSource::Poll(RecordChunk& chunk, size_t max_records, int timeout_ms) {
  if (!started_ || closed_) return FailedPrecondition("kafka source: Poll before Start or after Close");
  if (!fatal_.ok()) return fatal_;
  committer_.RetryDeferred();
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
  records_read_ += added;
  if (fatal_.ok() && !assigned_once_) fatal_ = startup_.Check(std::chrono::steady_clock::now(), JoinedGroup());
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
    if (PartitionStream* s = streams_.FindForMessage(m)) {
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
    const char* topic = m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : nullptr;
    if (Status missing = internal::MissingTopicError(m->err, topic, config_.topics, config_.brokers); !missing.ok()) {
      fatal_ = std::move(missing);
      return;
    }
    std::string where = m->rkt != nullptr ? std::string(rd_kafka_topic_name(m->rkt)) + "[" +
                                                std::to_string(m->partition) + "]: "
                                          : std::string();
    log_.Log(LogKey::Kafka(m->err), "consumer error (skipped): " + where + rd_kafka_message_errstr(m));
    return;
  }
  PartitionStream* s = streams_.FindForMessage(m);
  if (s == nullptr || !s->assigned) {
    // A message of a partition we no longer own: its new owner reads it from the committed offset.
    log_.Log(LogTopic::kStale, "dropped a message of an unassigned partition (re-read by its owner)");
    return;
  }
  const uint32_t id = streams_.IdOf(*s);
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
  s->next_offset = m->offset + 1;
  if (s->target_offset >= 0 && m->offset + 1 >= s->target_offset) s->done = true;
}

bool KafkaSource::Exhausted() const {
  if (!config_.until_caught_up || !assigned_once_ || awaiting_assignment_ || !fatal_.ok()) return false;
  for (const PartitionStream& s : streams_) {
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
    const PartitionStream& s = streams_[p.stream];
    if (!s.assigned || s.generation != p.generation) continue;  // stale: partition moved on
    rd_kafka_topic_partition_list_add(list.get(), s.topic.c_str(), s.partition)->offset = p.next_offset;
  }
  if (list->cnt == 0) return Status::Ok();
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk_, list.get());
  // Remember what was stored, per partition, for the explicit final commit in Close().
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (PartitionStream* st = streams_.Find(tp.topic, tp.partition)) st->stored_offset = tp.offset;
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
  log_.Log(LogTopic::kStore, std::string("offsets_store: ") + rd_kafka_err2str(err) +
                               " (partitions no longer assigned)");
  return Status::Ok();
}

Status KafkaSource::Close() {
  if (closed_ || rk_ == nullptr) return Status::Ok();
  closing_ = true;
  if (started_ && fatal_.ok() && records_read_ == 0 && Exhausted()) {
    nothing_to_read_note_ = internal::DescribeNothingToRead(streams_, config_.topics, config_.group_id);
  }
  Status result;
  if (started_) {
    std::vector<PartitionOffset> offsets;
    for (uint32_t i = 0; i < streams_.size(); ++i) {
      if (streams_[i].assigned && streams_[i].stored_offset >= 0) {
        offsets.push_back(PartitionOffset{i, streams_[i].stored_offset});
      }
    }
    result = committer_.CommitOnClose(offsets);
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
    log_.Log(LogTopic::kRebalance, "closed before the group gave this member its first assignment; the consumer "
                                   "handle is not destroyed (librdkafka 2.0.2 would abort: issue #4312)");
  } else {
    rd_kafka_destroy(rk_);
  }
  rk_ = nullptr;
  closed_ = true;
  for (PartitionStream& s : streams_) s.assigned = false;
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

KafkaSource::RevokeCommitStats KafkaSource::RevokeCommits() const {
  return committer_.Stats();
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
  for (uint32_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i].assigned) ids.push_back(i);
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
  // Wrong credentials or an unverifiable broker certificate never heal by reconnecting.
  if (Status auth = internal::AuthenticationFailure(static_cast<rd_kafka_resp_err_t>(err),
                                                    self->redactor_.Redact(reason), self->config_.properties);
      !auth.ok()) {
    if (self->fatal_.ok()) self->fatal_ = std::move(auth);
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512] = {0};
    rd_kafka_fatal_error(rk, buf, sizeof(buf));
    self->fatal_ = FailedPrecondition("kafka source: fatal consumer error: " + self->redactor_.Redact(buf));
    return;
  }
  // Everything else (all brokers down, transport errors, auth retries) is transient: librdkafka
  // keeps reconnecting, we keep polling, until the startup watchdog gives up.
  self->startup_.NoteError(static_cast<rd_kafka_resp_err_t>(err), self->redactor_.Redact(reason));
  self->log_.Log(LogKey::Kafka(static_cast<rd_kafka_resp_err_t>(err)),
                 std::string(reason) + " (transient: librdkafka keeps retrying)");
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

void KafkaSource::LogThunk(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  // A failed connection ("FAIL") or a timed-out request ("REQTMOUT") also reaches the error
  // callback, whose rate-limited line is the one the operator sees; librdkafka's own copy is
  // for debugging only.
  const bool reported_as_error = std::strcmp(fac, "FAIL") == 0 || std::strcmp(fac, "REQTMOUT") == 0;
  const LogLevel log_level = reported_as_error ? LogLevel::kDebug : LogLevelFromSyslog(level);
  if (!LogEnabled(log_level)) return;
  auto* self = static_cast<KafkaSource*>(rd_kafka_opaque(rk));
  std::string text = std::string("librdkafka ") + fac + ": " + buf;
  if (self == nullptr) {
    internal::SecretRedactor none;
    internal::LogKafka(none, log_level, "kafka", text);
    return;
  }
  internal::LogKafka(self->redactor_, log_level, "kafka", text);
}

// The shape of rebalance_cb in librdkafka's examples/rdkafka_complex_consumer_example.c: one
// switch on `err`; on assign, rd_kafka_incremental_assign under the COOPERATIVE protocol and
// rd_kafka_assign otherwise; on revoke, rd_kafka_incremental_unassign or rd_kafka_assign(NULL)
// (the example's optional manual commit goes before it, as ours does); anything else, drop the
// assignment with rd_kafka_assign(NULL); then report the failure of whichever call was made.
// sluice's own work wraps the calls: BeforeAssign / BeforeRevoke prepare the streams (and, on
// revoke, drain the listener and commit through OffsetCommitter), the lines after each call
// record the new state.
void KafkaSource::OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_), "COOPERATIVE") == 0;
  rd_kafka_error_t* error = nullptr;
  rd_kafka_resp_err_t ret_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  const char* call = "";
  switch (err) {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
      BeforeAssign(partitions, cooperative);
      if (cooperative) {
        call = "incremental_assign";
        error = rd_kafka_incremental_assign(rk_, partitions);
      } else {
        call = "assign";
        ret_err = rd_kafka_assign(rk_, partitions);
      }
      assigned_once_ = true;
      startup_.Disarm();
      awaiting_assignment_ = false;
      committer_.OnAssign();
      break;

    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS: {
      const std::vector<uint32_t> ids = BeforeRevoke(partitions, cooperative);
      if (cooperative) {
        call = "incremental_unassign";
        error = rd_kafka_incremental_unassign(rk_, partitions);
      } else {
        call = "unassign";
        ret_err = rd_kafka_assign(rk_, nullptr);
      }
      for (uint32_t id : ids) streams_[id].assigned = false;
      if (!cooperative) {
        for (PartitionStream& s : streams_) s.assigned = false;
      }
      break;
    }

    default:
      log_.Log(LogTopic::kRebalance, std::string("rebalance error: ") + rd_kafka_err2str(err));
      rd_kafka_assign(rk_, nullptr);
      for (PartitionStream& s : streams_) s.assigned = false;
      awaiting_assignment_ = true;  // the group assigns again
      break;
  }

  assigned_partitions_.store(static_cast<int>(AssignedStreams().size()), std::memory_order_relaxed);
  if (error != nullptr) {
    log_.Log(LogTopic::kRebalance, std::string(call) + " failed: " + ErrorText(error));
  } else if (ret_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log_.Log(LogKey::Kafka(ret_err), std::string(call) + " failed: " + rd_kafka_err2str(ret_err));
  }
}

void KafkaSource::BeforeAssign(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
  streams_.ForgetLastMessage();
  std::vector<uint32_t> ids;
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = partitions->elems[i];
    uint32_t id = streams_.IdFor(tp.topic, tp.partition);
    PartitionStream& s = streams_[id];
    ++s.generation;
    s.assigned = true;
    s.done = false;
    s.stored_offset = -1;
    ids.push_back(id);
  }
  if (!cooperative) {
    // Eager: the list is the whole new assignment.
    for (uint32_t i = 0; i < streams_.size(); ++i) {
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
}

std::vector<uint32_t> KafkaSource::BeforeRevoke(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
  streams_.ForgetLastMessage();
  std::vector<uint32_t> ids;
  for (int i = 0; i < partitions->cnt; ++i) {
    PartitionStream* s = streams_.Find(partitions->elems[i].topic, partitions->elems[i].partition);
    if (s != nullptr && s->assigned) ids.push_back(streams_.IdOf(*s));
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
      if (!s.ok()) log_.Log(LogTopic::kStore, "store on revoke: " + s.message());
      std::vector<PartitionOffset> offsets;
      for (const CommitPoint& p : points) {
        if (p.stream >= streams_.size()) continue;
        const PartitionStream& st = streams_[p.stream];
        if (!st.assigned || st.generation != p.generation) continue;
        offsets.push_back(PartitionOffset{p.stream, p.next_offset});
      }
      committer_.CommitOnRevoke(offsets);
    }
  }
  committer_.OnRevoke(cooperative);
  return ids;
}

void KafkaSource::ComputeCatchUpTargets(const std::vector<uint32_t>& ids) {
  // Targets are fixed at a partition's first assignment (the run's start): messages produced
  // later are not waited for.
  for (uint32_t id : ids) {
    PartitionStream& s = streams_[id];
    if (s.target_offset >= 0) continue;
    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk_, s.topic.c_str(), s.partition, &low, &high,
                                                               config_.query_timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log_.Log(LogTopic::kCatchUp, "until-caught-up: watermark query failed for " + s.topic + "[" +
                                     std::to_string(s.partition) + "]: " + rd_kafka_err2str(err) +
                                     " (waiting for end-of-partition instead)");
      continue;
    }
    s.target_offset = high;
    s.low_offset = low;
    s.start_offset = low;            // until the committed offset says otherwise (below)
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
    log_.Log(LogTopic::kCatchUp, std::string("until-caught-up: committed-offset query failed: ") +
                                   rd_kafka_err2str(err) + " (waiting for messages/end-of-partition)");
    return;
  }
  const bool latest = config_.auto_offset_reset == "latest" || config_.auto_offset_reset == "largest" ||
                      config_.auto_offset_reset == "end";
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    PartitionStream* s = streams_.Find(tp.topic, tp.partition);
    if (s == nullptr || tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (tp.offset >= 0) {
      s->start_offset = std::min(tp.offset, s->target_offset);
      if (tp.offset >= s->target_offset) s->done = true;
    } else if (latest) {
      s->start_offset = s->target_offset;
      s->done = true;  // starts at the end
    }
  }
}

}  // namespace sluice::stages
