#include "stages/kafka_source/kafka_source.h"

#include <cstdio>

#include <algorithm>
#include <cstring>

#include "stages/kafka_source/consumer_conf.h"

namespace sluice::stages {
namespace {

// Upper bound of messages taken from librdkafka per consume call.
constexpr size_t kMaxBatch = 4096;
constexpr auto kLogInterval = std::chrono::seconds(10);
// Keys for LogLimited besides rd_kafka error codes (which are all > -300).
constexpr int kLogKeyRebalance = -100000;
constexpr int kLogKeyStore = -100001;
constexpr int kLogKeyStale = -100002;
constexpr int kLogKeyCatchUp = -100003;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

std::string ErrorText(rd_kafka_error_t* error) {
  std::string s = rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return s;
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
  size_t added = 0;
  bool waited = false;
  while (added < max_records && fatal_.ok()) {
    const size_t want = std::min(max_records - added, kMaxBatch);
    size_t n = 0;
    if (config_.poll_mode == KafkaPollMode::kBatchQueue) {
      ssize_t got = rd_kafka_consume_batch_queue(queue_, 0, batch_.data(), want);
      if (got < 0) return internal::KafkaErrorToStatus(rd_kafka_last_error(), "kafka source: consume");
      n = static_cast<size_t>(got);
    } else {
      while (n < want) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 0);
        if (m == nullptr) break;
        batch_[n++] = m;
      }
    }
    if (n == 0) {
      // Nothing queued: wait once for the first message (this also serves rebalances).
      if (waited || added > 0 || timeout_ms <= 0 || Exhausted()) break;
      waited = true;
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, timeout_ms);
      if (m == nullptr) break;
      HandleMessage(m, chunk, added);
      rd_kafka_message_destroy(m);
      continue;
    }
    for (size_t i = 0; i < n; ++i) {
      HandleMessage(batch_[i], chunk, added);
      rd_kafka_message_destroy(batch_[i]);
    }
  }
  if (added > 0) chunk.FinishInput();
  if (!fatal_.ok() && added == 0) return fatal_;
  return added;
}

void KafkaSource::HandleMessage(rd_kafka_message_t* m, RecordChunk& chunk, size_t& added) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (StreamState* s = FindStream(rd_kafka_topic_name(m->rkt), m->partition)) {
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
  StreamState* s = FindStream(rd_kafka_topic_name(m->rkt), m->partition);
  if (s == nullptr || !s->assigned) {
    // A message of a partition we no longer own: its new owner reads it from the committed offset.
    LogLimited(kLogKeyStale, "dropped a message of an unassigned partition (re-read by its owner)");
    return;
  }
  const auto id = static_cast<uint32_t>(s - streams_.data());
  // A null payload (tombstone) is still a record: it is rejected downstream and dead-lettered.
  std::string_view payload = m->payload != nullptr
                                 ? std::string_view(static_cast<const char*>(m->payload), m->len)
                                 : std::string_view();
  chunk.AddInput(payload, SourcePosition{id, s->generation, m->offset});
  ++added;
  if (s->target_offset >= 0 && m->offset + 1 >= s->target_offset) s->done = true;
}

bool KafkaSource::Exhausted() const {
  if (!config_.until_caught_up || !assigned_once_) return false;
  for (const StreamState& s : streams_) {
    if (s.assigned && !s.done) return false;
  }
  return true;
}

void KafkaSource::SetPaused(bool paused) {
  if (paused == paused_ || rk_ == nullptr || closed_) return;
  paused_ = paused;
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(rk_, &raw) != RD_KAFKA_RESP_ERR_NO_ERROR || raw == nullptr) return;
  PartitionListPtr list(raw);
  if (list->cnt == 0) return;
  rd_kafka_resp_err_t err = paused ? rd_kafka_pause_partitions(rk_, list.get())
                                   : rd_kafka_resume_partitions(rk_, list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    LogLimited(err, std::string(paused ? "pause" : "resume") + " failed: " + rd_kafka_err2str(err));
  }
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
    // The final commit can meet a rebalance (another member leaving at the same moment). Retry
    // transient refusals for a while; if the partitions were taken away meanwhile, the commit no
    // longer belongs to us: the new owner re-reads from the last committed offset (at-least-once),
    // which is a re-delivery, not a failure of this run.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    rd_kafka_resp_err_t err = rd_kafka_commit(rk_, nullptr, 0);
    while ((err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
            err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
            err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE || err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
            err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT) &&
           std::chrono::steady_clock::now() < deadline) {
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100)) rd_kafka_message_destroy(m);  // serve the rebalance
      err = rd_kafka_commit(rk_, nullptr, 0);
    }
    if (err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
        err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS || err == RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST) {
      std::fprintf(stderr, "sluice: kafka source: final commit refused (%s): the group moved our partitions; "
                   "their new owner re-reads from the last committed offset\n", rd_kafka_err2str(err));
    } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      result = internal::KafkaErrorToStatus(err, "kafka source: commit on close");
    }
  }
  // Serves the final revoke (without calling the listener: the pipeline already drained and
  // stored before Close) and leaves the group.
  rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && result.ok()) {
    result = internal::KafkaErrorToStatus(err, "kafka source: close");
  }
  rd_kafka_queue_destroy(queue_);
  queue_ = nullptr;
  rd_kafka_destroy(rk_);
  rk_ = nullptr;
  closed_ = true;
  for (StreamState& s : streams_) s.assigned = false;
  return result;
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
  }
}

void KafkaSource::OnAssign(rd_kafka_topic_partition_list_t* partitions) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_), "COOPERATIVE") == 0;
  std::vector<uint32_t> ids;
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = partitions->elems[i];
    uint32_t id = StreamIdFor(tp.topic, tp.partition);
    StreamState& s = streams_[id];
    ++s.generation;
    s.assigned = true;
    s.done = false;
    ids.push_back(id);
  }
  if (!cooperative) {
    // Eager: the list is the whole new assignment.
    for (size_t i = 0; i < streams_.size(); ++i) {
      if (std::find(ids.begin(), ids.end(), i) == ids.end()) streams_[i].assigned = false;
    }
  }
  if (config_.until_caught_up && !ids.empty()) ComputeCatchUpTargets(ids);
  if (cooperative) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_, partitions)) {
      LogLimited(kLogKeyRebalance, "incremental_assign failed: " + ErrorText(e));
    }
  } else {
    rd_kafka_resp_err_t e = rd_kafka_assign(rk_, partitions);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) LogLimited(e, std::string("assign failed: ") + rd_kafka_err2str(e));
  }
  if (paused_ && partitions->cnt > 0) rd_kafka_pause_partitions(rk_, partitions);
  assigned_once_ = true;
}

void KafkaSource::OnRevoke(rd_kafka_topic_partition_list_t* partitions) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_), "COOPERATIVE") == 0;
  std::vector<uint32_t> ids;
  for (int i = 0; i < partitions->cnt; ++i) {
    StreamState* s = FindStream(partitions->elems[i].topic, partitions->elems[i].partition);
    if (s != nullptr && s->assigned) ids.push_back(static_cast<uint32_t>(s - streams_.data()));
  }
  // Lost partitions (session timed out) belong to someone else already: committing would fail
  // or, worse, move their offsets; only let the pipeline drop its in-flight work.
  const bool lost = rd_kafka_assignment_lost(rk_) != 0;
  if (!closing_ && listener_ != nullptr && !ids.empty()) {
    std::vector<CommitPoint> points = listener_->OnStreamsRevoked(ids);
    if (!lost && !points.empty()) {
      Status s = Store(points);
      if (!s.ok()) LogLimited(kLogKeyStore, "store on revoke: " + s.ToString());
      PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(points.size())));
      for (const CommitPoint& p : points) {
        if (p.stream >= streams_.size()) continue;
        const StreamState& st = streams_[p.stream];
        if (!st.assigned || st.generation != p.generation) continue;
        rd_kafka_topic_partition_list_add(list.get(), st.topic.c_str(), st.partition)->offset = p.next_offset;
      }
      if (list->cnt > 0) {
        // Synchronous: the next owner must start exactly after what we delivered.
        rd_kafka_resp_err_t err = rd_kafka_commit(rk_, list.get(), 0);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          LogLimited(err, std::string("commit on revoke failed (records may be re-delivered): ") +
                              rd_kafka_err2str(err));
        }
      }
    }
  }
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
