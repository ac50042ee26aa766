// The dataflow of one run:
//
//   ingress thread (Run)                 TBB workers                          sender thread
//   ---------------------                --------------------------------     -----------------
//   Source::Poll -> RecordChunk --try_put--> [transform: parse + map]  ---->  [assemble] --Submit-->  curl multi
//        ^        (budget taken)            function_node, unlimited          function_node,           |
//        |                                  one TransformState per worker     serial: batcher,         |
//        |                                                                    map rejections           |
//        +------------- DeliveryReport queue (moodycamel) <-----------------------+--------------------+
//   acks -> AckTracker -> Source::Store(offsets); budget given back; rejected -> dead letters
//
// Work moves as chunks of up to chunk_max_records records; ticks (empty chunks) wake the serial
// assemble node so it can honour its linger time without a timer thread. Only the ingress thread
// touches the source, the tracker and the dead-letter sink, so none of them needs a lock. The
// in-flight budget bounds everything between Poll and the sink's acknowledgement: when it is
// exhausted the source is paused, so a slow sink slows the reader instead of growing memory.
#include "engine/pipeline.h"

#include "engine/log.h"
#include "engine/ordered_sender.h"
#include "engine/progress.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/flow_graph.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <cstdio>
#include <optional>
#include <thread>

namespace sluice {

namespace flow = tbb::flow;

/// The flow graph: transform (parallel) -> assemble (serial).
class Pipeline::Graph {
 public:
  /// Parse + map, in parallel on the TBB workers; passes ticks through untouched.
  using TransformNode = flow::function_node<RecordChunk*, RecordChunk*>;
  /// Batch assembly, one chunk at a time; queues internally (bounded by the budget).
  using AssembleNode = flow::function_node<RecordChunk*, flow::continue_msg>;

  /// --ordered only: puts chunks back in ingress order after the parallel transform.
  using SequenceNode = flow::sequencer_node<RecordChunk*>;

  explicit Graph(Pipeline& p)
      : transform_(graph_, flow::unlimited, [&p, this](RecordChunk* c) { return Transform(p, c); }),
        sequence_(graph_, [](RecordChunk* const& c) -> size_t { return c->sequence; }),
        assemble_(graph_, flow::serial, [&p](RecordChunk* c) {
          Assemble(p, c);
          return flow::continue_msg();
        }) {
    if (p.config_.ordered) {
      flow::make_edge(transform_, sequence_);
      flow::make_edge(sequence_, assemble_);
    } else {
      flow::make_edge(transform_, assemble_);
    }
  }

  void Put(RecordChunk* chunk) { transform_.try_put(chunk); }
  void WaitForAll() { graph_.wait_for_all(); }

 private:
  RecordChunk* Transform(Pipeline& p, RecordChunk* c) {
    if (c->tick) return c;
    try {
      std::unique_ptr<TransformState>& state = states_.local();
      if (!state) state = p.parts_.transform->MakeState();
      p.parts_.transform->Apply(*state, *c);
      if (c->outputs.size() != c->records.size()) {
        p.OnFatal(Internal("transform produced " + std::to_string(c->outputs.size()) + " outputs for " +
                           std::to_string(c->records.size()) + " records"));
      } else if (!c->metas.empty()) {
        // Whatever the transform made of it, a null value is never sent as a record.
        for (size_t i = 0; i < c->records.size(); ++i) {
          if (c->IsNullValue(i)) c->outputs[i].verdict = RecordVerdict::kTombstone;
        }
      }
    } catch (const std::exception& e) {
      p.OnFatal(Internal(std::string("transform failed: ") + e.what()));
      c->outputs.clear();
    }
    return c;
  }

  static void Assemble(Pipeline& p, RecordChunk* c) {
    const auto now = Clock::now();
    auto emit = [&p](std::unique_ptr<Batch> b) {
      p.counters_.batches.fetch_add(1, std::memory_order_relaxed);
      p.parts_.sender->Submit(std::move(b));
    };
    try {
      if (c->tick) {
        if (c->flush) {
          p.parts_.assembler->Flush(emit);
        } else {
          p.parts_.assembler->Tick(now, emit);
        }
      } else if (c->outputs.size() == c->records.size()) {
        DeliveryReport rejected;
        for (size_t i = 0; i < c->outputs.size(); ++i) {
          const OutputRecord& o = c->outputs[i];
          if (o.verdict == RecordVerdict::kAccepted) continue;
          if (o.verdict == RecordVerdict::kTombstone && p.config_.skip_tombstones) {
            rejected.skipped_tombstones.push_back(c->records[i].position);
            continue;
          }
          RejectedRecord r;
          r.position = c->records[i].position;
          r.bytes.assign(c->Payload(i));
          if (o.verdict == RecordVerdict::kTombstone) {
            r.reason = "null value (tombstone)";
            r.stage = RejectStage::kParse;
          } else {
            r.reason = o.reason_index < c->reasons.size() ? c->reasons[o.reason_index] : "rejected";
            r.stage = o.reject_stage;
          }
          if (const RecordMeta* m = c->Meta(i)) r.origin.Assign(c->meta, *m);
          rejected.rejected.push_back(std::move(r));
        }
        if (!rejected.rejected.empty() || !rejected.skipped_tombstones.empty()) p.OnDelivery(std::move(rejected));
        p.parts_.assembler->Add(*c, now, emit);
      }
      // A chunk whose transform failed is left unacknowledged: the run is already failing.
    } catch (const std::exception& e) {
      p.OnFatal(Internal(std::string("batch assembly failed: ") + e.what()));
    }
    p.pool_.Release(c);
  }

  flow::graph graph_;
  tbb::enumerable_thread_specific<std::unique_ptr<TransformState>> states_;
  TransformNode transform_;
  SequenceNode sequence_;
  AssembleNode assemble_;
};

StatusOr<std::unique_ptr<Pipeline>> Pipeline::Create(const PipelineConfig& config, PipelineParts parts) {
  SLUICE_RETURN_IF_ERROR(Validate(config));
  if (!parts.source || !parts.transform || !parts.assembler || !parts.sender)
    return InvalidArgument("pipeline needs a source, a transform, an assembler and a sender");
  return std::unique_ptr<Pipeline>(new Pipeline(config, parts));
}

Pipeline::Pipeline(const PipelineConfig& config, PipelineParts parts)
    : config_(config),
      parts_(parts),
      budget_(config.max_inflight_records, config.max_inflight_bytes),
      reject_guard_(config.max_reject_ratio, config.reject_window) {}

Pipeline::~Pipeline() = default;

void Pipeline::OnDelivery(DeliveryReport report) {
  reports_.Push(std::move(report));
  WakeIngress();
}

void Pipeline::WakeIngress() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_one();
}

void Pipeline::WaitForWork(int timeout_ms) {
  std::unique_lock<std::mutex> lock(wake_mu_);
  wake_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return wake_; });
  wake_ = false;
}

void Pipeline::OnFatal(Status status) {
  {
    std::lock_guard<std::mutex> lock(fatal_mu_);
    if (fatal_.ok()) fatal_ = std::move(status);
    has_fatal_.store(true, std::memory_order_release);
  }
  WakeIngress();
}

void Pipeline::Acknowledge(const SourcePosition& position) {
  // Stale acks (revoked partitions) still free their budget: the records did leave the pipeline.
  tracker_.Acknowledge(position);
  const uint64_t records = budget_.records();
  const uint64_t bytes = records ? budget_.bytes() / records : 0;
  budget_.Give(1, records == 1 ? budget_.bytes() : bytes);
}

void Pipeline::HandleRejected(const RejectedRecord& r) {
  counters_.rejected.fetch_add(1, std::memory_order_relaxed);
  const StreamInfo where = parts_.source->DescribeStream(r.position.stream);
  std::string at = where.name;
  if (where.partition >= 0) at += "[" + std::to_string(where.partition) + "]";
  at += " offset " + std::to_string(r.position.offset);
  if (rejected_logged_ < 10 || rejected_logged_ % 1000 == 0) {
    const std::string_view stage = RejectStageName(r.stage);
    Logf(LogLevel::kWarn, "pipeline", "rejected record at %s (%.*s): %s", at.c_str(), static_cast<int>(stage.size()),
         stage.data(), r.reason.c_str());
  }
  ++rejected_logged_;
  if (parts_.dead_letters) {
    Status s = parts_.dead_letters->Write(r, where);
    if (!s.ok()) {
      OnFatal(s.WithContext("writing a dead letter for " + at));
      return;
    }
    dead_letters_unflushed_ = true;
    counters_.dead_lettered.fetch_add(1, std::memory_order_relaxed);
  } else if (config_.skip_rejected) {
    counters_.skipped.fetch_add(1, std::memory_order_relaxed);
  } else {
    OnFatal(FailedPrecondition("record rejected at " + at + " (" + std::string(RejectStageName(r.stage)) + "): " + r.reason +
                               "; no dead-letter destination is configured (--dlq), so the run stops "
                               "before committing it"));
    return;
  }
  Acknowledge(r.position);
}

void Pipeline::ProcessReports() {
  DeliveryReport r;
  bool any = false;
  while (reports_.TryPop(r)) {
    any = true;
    for (const SourcePosition& p : r.delivered) Acknowledge(p);
    counters_.delivered.fetch_add(r.delivered.size(), std::memory_order_relaxed);
    for (const SourcePosition& p : r.skipped_tombstones) Acknowledge(p);
    counters_.skipped_tombstones.fetch_add(r.skipped_tombstones.size(), std::memory_order_relaxed);
    counters_.delivered_bytes.fetch_add(r.delivered_bytes, std::memory_order_relaxed);
    if (reject_guard_.Observe(counters_.consumed.load(std::memory_order_relaxed), r.delivered.size(),
                              r.rejected.size()) &&
        !r.rejected.empty()) {
      // Not handled: these rejections are neither dead-lettered nor acknowledged, so nothing
      // from the first of them on is committed.
      OnFatal(FailedPrecondition("stopping: " + reject_guard_.Describe() +
                                 "; check the sink (--sink-url, --sink-format) and the schema, or raise "
                                 "--max-reject-ratio if the data really is this bad"));
      continue;
    }
    for (const RejectedRecord& rej : r.rejected) {
      if (HasFatal() && !parts_.dead_letters && !config_.skip_rejected) break;
      HandleRejected(rej);
    }
  }
  if (any) {
    last_ack_at_ = Clock::now();
    StoreAdvancedOffsets();
  }
}

bool Pipeline::FlushDeadLetters() {
  if (dead_letters_failed_) return false;
  if (!dead_letters_unflushed_ || !parts_.dead_letters) return true;
  Status s = parts_.dead_letters->Flush();
  if (!s.ok()) {
    // Records already counted as acknowledged may not be in the destination: nothing past them
    // may be committed, now or later in this run.
    dead_letters_failed_ = true;
    OnFatal(s.WithContext("flushing the dead-letter destination"));
    return false;
  }
  dead_letters_unflushed_ = false;
  return true;
}

void Pipeline::StoreAdvancedOffsets() {
  // Once per round of reports, not per record: the flush is what makes the dead letters of
  // this round durable (fdatasync, Kafka acks) before their offsets can be committed.
  if (!FlushDeadLetters()) return;
  std::vector<CommitPoint> points = tracker_.TakeAdvanced();
  if (points.empty()) return;
  Status s = parts_.source->Store(points);
  if (!s.ok()) OnFatal(s.WithContext("storing offsets"));
}

void Pipeline::SendTick(bool flush) {
  RecordChunk* c = pool_.Acquire();
  c->tick = true;
  c->flush = flush;
  c->created = Clock::now();
  c->sequence = next_sequence_++;
  graph_->Put(c);
}

std::vector<CommitPoint> Pipeline::OnStreamsRevoked(const std::vector<uint32_t>& streams) {
  // Called on the ingress thread from inside Source::Poll: finish what is in flight for these
  // streams (bounded by the drain timeout), then hand back what may be committed for them.
  SendTick(/*flush=*/true);
  const auto deadline = Clock::now() + std::chrono::milliseconds(config_.drain_timeout_ms);
  auto pending = [&] {
    uint64_t n = 0;
    for (uint32_t s : streams) n += tracker_.InFlight(s);
    return n;
  };
  while (pending() > 0 && Clock::now() < deadline && !HasFatal()) {
    ProcessReports();
    if (pending() > 0) WaitForWork(5);
  }
  StoreAdvancedOffsets();
  std::vector<CommitPoint> points;
  if (FlushDeadLetters()) points = tracker_.CommitPointsOf(streams);
  if (pending() > 0) {
    Logf(LogLevel::kWarn, "pipeline",
         "revoke: %llu records of the revoked partitions not acknowledged within %d ms; "
         "the next owner will read them again",
         static_cast<unsigned long long>(pending()), config_.drain_timeout_ms);
  }
  for (uint32_t s : streams) tracker_.Forget(s);
  return points;
}

void Pipeline::PrintProgress(Clock::time_point now, bool final_line) {
  if (!progress_ || (!final_line && !progress_->Due(now))) return;
  ProgressFigures f;
  f.consumed = counters_.consumed.load(std::memory_order_relaxed);
  f.delivered = counters_.delivered.load(std::memory_order_relaxed);
  f.in_flight = budget_.records();
  f.rejected = counters_.rejected.load(std::memory_order_relaxed);
  f.skipped_tombstones = counters_.skipped_tombstones.load(std::memory_order_relaxed);
  f.source = parts_.source->Progress();
  if (final_line) {
    progress_->Finish(now, f);
  } else {
    progress_->Update(now, f);
  }
}

void Pipeline::IngestOnce(int timeout_ms) {
  RecordChunk* chunk = pool_.Acquire();
  const auto polled_at = Clock::now();
  StatusOr<size_t> n = parts_.source->Poll(*chunk, config_.chunk_max_records, timeout_ms);
  if (!n.ok()) {
    pool_.Release(chunk);
    OnFatal(n.status().WithContext("reading"));
    return;
  }
  if (*n == 0) {
    pool_.Release(chunk);
    // A source that answers "nothing" at once (paused, at its end) must not make this thread
    // spin: wait for an acknowledgement or the rest of the timeout instead.
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - polled_at);
    if (waited.count() < timeout_ms) WaitForWork(static_cast<int>(timeout_ms - waited.count()));
    return;
  }
  const auto now = Clock::now();
  if (counters_.consumed.load(std::memory_order_relaxed) == 0) first_consumed_at_ = now;
  chunk->sequence = next_sequence_++;
  chunk->created = now;
  const uint64_t bytes = chunk->input.size() - kInputPaddingBytes;
  tracker_.Register(*chunk);
  budget_.Take(chunk->records.size(), bytes);
  counters_.consumed.fetch_add(chunk->records.size(), std::memory_order_relaxed);
  counters_.consumed_bytes.fetch_add(bytes, std::memory_order_relaxed);
  counters_.chunks.fetch_add(1, std::memory_order_relaxed);
  graph_->Put(chunk);
}

Status Pipeline::Run(const std::atomic<int>* stop_requests) {
  // The ingress thread never runs graph tasks (it is busy polling), so the TBB limit counts it
  // on top of the workers: with a limit of 1, nothing would ever process a chunk. TBB's own
  // default (one slot per core, one of them for the calling thread) would leave a 2-core
  // machine with a single worker, so "one worker per core" is set explicitly too.
  const int workers = config_.worker_threads > 0 ? config_.worker_threads
                                                 : std::max(1, tbb::info::default_concurrency());
  tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(workers) + 1);
  // A flow graph runs its tasks in the arena it was built in; the ingress thread's implicit
  // arena keeps a slot for that thread, which never takes graph work.
  arena_ = std::make_unique<tbb::task_arena>(workers, /*reserved_for_masters=*/0);
  arena_->execute([this] { graph_ = std::make_unique<Graph>(*this); });
  std::unique_ptr<OrderedSender> ordered;
  BatchSender* const inner_sender = parts_.sender;
  if (config_.ordered) {
    // At most one batch per partition in flight: retries never reorder a partition.
    ordered = std::make_unique<OrderedSender>(parts_.sender);
    parts_.sender = ordered.get();
  }
  started_at_ = Clock::now();
  progress_ = std::make_unique<ProgressReporter>(config_.progress, config_.progress_interval_ms, started_at_);

  Status status = parts_.sender->Start(this);
  if (status.ok()) status = parts_.source->Start(this);
  if (!status.ok()) {
    parts_.sender->Stop(true);
    parts_.sender = inner_sender;
    summary_.error = status.message();
    return status;
  }

  enum class Phase { kReading, kDraining };
  Phase phase = Phase::kReading;
  bool bounded_drain = false;
  bool abandon = false;
  // Why records in flight were given up on (the run's error says it, once).
  std::string abandon_reason;
  bool paused = false;
  Clock::time_point drain_deadline{};
  Clock::time_point last_tick = Clock::now();
  Clock::time_point last_flush = last_tick;

  while (true) {
    ProcessReports();
    if (HasFatal()) {
      abandon = true;
      break;
    }
    const int stops = stop_requests ? stop_requests->load(std::memory_order_relaxed) : 0;
    if (stops >= 2) {
      abandon = true;
      abandon_reason = "second signal: the drain was abandoned";
      break;
    }
    auto now = Clock::now();
    if (phase == Phase::kReading && (stops == 1 || parts_.source->Exhausted())) {
      phase = Phase::kDraining;
      bounded_drain = stops == 1;
      drain_deadline = now + std::chrono::milliseconds(config_.drain_timeout_ms);
      SendTick(/*flush=*/true);
      last_flush = now;
    }
    if (phase == Phase::kDraining) {
      if (stops == 1 && !bounded_drain) {
        bounded_drain = true;
        drain_deadline = now + std::chrono::milliseconds(config_.drain_timeout_ms);
      }
      if (budget_.records() == 0 && tracker_.InFlight() == 0) break;
      if (bounded_drain && now >= drain_deadline) {
        abandon = true;
        abandon_reason = "drain timeout (" + std::to_string(config_.drain_timeout_ms) + " ms)";
        break;
      }
      if (now - last_flush >= std::chrono::milliseconds(config_.tick_interval_ms)) {
        SendTick(/*flush=*/true);
        last_flush = now;
      }
      // Keep serving the source (rebalance events) while waiting for acks. The source is paused:
      // it hands over nothing more, and what it had prefetched stays uncommitted for the next run.
      if (!paused) {
        parts_.source->SetPaused(true);
        paused = true;
      }
      IngestOnce(5);
      PrintProgress(now, false);
      continue;
    }

    if (!budget_.HasRoom()) {
      if (!paused) {
        parts_.source->SetPaused(true);
        paused = true;
        counters_.paused_times.fetch_add(1, std::memory_order_relaxed);
      }
    } else if (paused && budget_.BelowLowWatermark()) {
      parts_.source->SetPaused(false);
      paused = false;
    }

    // While paused, Poll still serves rebalances and may hand over what was already fetched.
    IngestOnce(paused ? 2 : config_.poll_timeout_ms);
    now = Clock::now();
    if (now - last_tick >= std::chrono::milliseconds(config_.tick_interval_ms)) {
      SendTick(/*flush=*/false);
      last_tick = now;
      // After a 413 the sender knows a smaller body limit, and after a run of accepted requests
      // it raises it again; the batcher follows both ways.
      parts_.assembler->SetMaxBytesHint(parts_.sender->MaxBatchBytesHint());
    }
    PrintProgress(now, false);
  }

  parts_.sender->Stop(abandon);
  graph_->WaitForAll();
  ProcessReports();
  StoreAdvancedOffsets();
  // Before Close: a Kafka source can still say how far it got.
  PrintProgress(Clock::now(), true);
  Status close = parts_.source->Close();
  ended_at_ = Clock::now();

  {
    std::lock_guard<std::mutex> lock(fatal_mu_);
    status = fatal_;
  }
  if (status.ok() && !close.ok()) status = close.WithContext("closing the source");
  if (status.ok() && abandon) {
    status = Status(StatusCode::kCancelled, (abandon_reason.empty() ? "" : abandon_reason + ": ") +
                                                std::to_string(budget_.records()) +
                                                " records in flight were not acknowledged and are not committed");
  }

  RunSummary& s = summary_;
  s.consumed = counters_.consumed.load();
  s.consumed_bytes = counters_.consumed_bytes.load();
  s.delivered = counters_.delivered.load();
  s.rejected = counters_.rejected.load();
  s.dead_lettered = counters_.dead_lettered.load();
  s.skipped = counters_.skipped.load();
  s.skipped_tombstones = counters_.skipped_tombstones.load();
  s.batches = counters_.batches.load();
  s.unacknowledged = budget_.records();
  s.run_seconds = std::chrono::duration<double>(ended_at_ - started_at_).count();
  if (s.consumed > 0 && last_ack_at_ > first_consumed_at_) {
    s.streaming_seconds = std::chrono::duration<double>(last_ack_at_ - first_consumed_at_).count();
    s.streaming_records_per_s = (s.delivered + s.rejected + s.skipped_tombstones) / s.streaming_seconds;
  }
  if (s.run_seconds > 0) s.run_records_per_s = (s.delivered + s.rejected + s.skipped_tombstones) / s.run_seconds;
  s.peak_rss_mib = PeakRssMib();
  s.sender = parts_.sender->Stats();
  parts_.sender = inner_sender;  // the decorator dies with this scope
  s.error = status.ok() ? "" : status.message();
  return status;
}

RunSummary Pipeline::Summary() const { return summary_; }

}  // namespace sluice
