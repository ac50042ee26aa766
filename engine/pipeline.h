// File: engine/pipeline.h
// Pipeline: owns the TBB flow graph and the ingress ("poll") thread loop that wires a Source,
// a RecordTransform, a BatchAssembler and a BatchSender together, tracks every record until the
// sink or the dead-letter destination acknowledged it, and stores offsets only then.
// The topology is described in pipeline.cpp. Thread-safety: Run() is called once, on the thread
// that becomes the ingress thread; OnDelivery/OnFatal are called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <tbb/task_arena.h>

#include "engine/ack_tracker.h"
#include "engine/batch_assembler.h"
#include "engine/batch_sender.h"
#include "engine/chunk_pool.h"
#include "engine/dead_letter_sink.h"
#include "engine/delivery_report.h"
#include "engine/inflight_budget.h"
#include "engine/pipeline_config.h"
#include "engine/progress.h"
#include "engine/queue.h"
#include "engine/record_transform.h"
#include "engine/reject_ratio_guard.h"
#include "engine/run_summary.h"
#include "engine/source.h"

namespace sluice {

/// The stages a pipeline runs. Not owned; they outlive the pipeline.
struct PipelineParts {
  Source* source = nullptr;
  const RecordTransform* transform = nullptr;
  BatchAssembler* assembler = nullptr;
  BatchSender* sender = nullptr;
  DeadLetterSink* dead_letters = nullptr;  ///< optional
};

/// Live figures, readable from any thread (progress line, metrics endpoint).
struct PipelineCounters {
  std::atomic<uint64_t> consumed{0};
  std::atomic<uint64_t> consumed_bytes{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> delivered_bytes{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> dead_lettered{0};
  std::atomic<uint64_t> skipped{0};
  std::atomic<uint64_t> skipped_tombstones{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> chunks{0};
  std::atomic<uint64_t> paused_times{0};
};

class Pipeline final : public DeliveryListener, public SourceListener {
 public:
  static StatusOr<std::unique_ptr<Pipeline>> Create(const PipelineConfig& config, PipelineParts parts);
  ~Pipeline() override;

  /// Runs until the source is exhausted and every record is acknowledged, a fatal error, or a
  /// stop request: *stop_requests == 1 drains (bounded by drain_timeout_ms) then commits;
  /// >= 2 abandons what is in flight and commits only what was acknowledged.
  [[nodiscard]] Status Run(const std::atomic<int>* stop_requests);
  /// The figures of the run (complete after Run returned).
  RunSummary Summary() const;
  const PipelineCounters& counters() const { return counters_; }
  uint64_t InFlightRecords() const { return budget_.records(); }

  // DeliveryListener
  void OnDelivery(DeliveryReport report) override;
  void OnFatal(Status status) override;
  // SourceListener
  std::vector<CommitPoint> OnStreamsRevoked(const std::vector<uint32_t>& streams) override;

 private:
  using Clock = std::chrono::steady_clock;
  Pipeline(const PipelineConfig& config, PipelineParts parts);

  class Graph;  // the TBB flow graph, private to pipeline.cpp

  /// Polls the source once and hands what it gave to the graph (ingress thread).
  void IngestOnce(int timeout_ms);
  void ProcessReports();
  void HandleRejected(const RejectedRecord& record);
  void Acknowledge(const SourcePosition& position);
  void StoreAdvancedOffsets();
  /// Makes every dead letter written so far durable (DeadLetterSink::Flush) before an offset
  /// past it is stored; false when that failed (the run is then failing and stores nothing).
  [[nodiscard]] bool FlushDeadLetters();
  void SendTick(bool flush);
  /// Hands the progress reporter the current figures when an update is due (ingress thread).
  void PrintProgress(Clock::time_point now, bool final_line);
  /// Wakes the ingress thread if it waits in WaitForWork (any thread).
  void WakeIngress();
  /// Ingress thread: sleeps until woken or timeout_ms passed.
  void WaitForWork(int timeout_ms);
  bool HasFatal() const { return has_fatal_.load(std::memory_order_acquire); }

  const PipelineConfig config_;
  PipelineParts parts_;
  /// The workers' arena: `worker_threads` slots, none reserved for the ingress thread (which
  /// only puts chunks in). Declared before graph_, which attaches to it, so it outlives it.
  std::unique_ptr<tbb::task_arena> arena_;
  std::unique_ptr<Graph> graph_;
  ChunkPool pool_;
  AckTracker tracker_;
  InflightBudget budget_;
  MpmcQueue<DeliveryReport> reports_{256};
  PipelineCounters counters_;

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;  ///< guarded by wake_mu_

  std::atomic<bool> has_fatal_{false};
  mutable std::mutex fatal_mu_;
  Status fatal_;

  uint64_t next_sequence_ = 0;  ///< every chunk put into the graph, ticks too (sequencer)
  uint64_t rejected_logged_ = 0;
  RejectRatioGuard reject_guard_;
  bool dead_letters_unflushed_ = false;  ///< a dead letter was written since the last Flush
  bool dead_letters_failed_ = false;     ///< a Flush failed: no offset is stored any more
  Clock::time_point started_at_{};
  Clock::time_point first_consumed_at_{};
  Clock::time_point last_ack_at_{};
  Clock::time_point ended_at_{};
  std::unique_ptr<ProgressReporter> progress_;  ///< made in Run
  RunSummary summary_;
};

}  // namespace sluice
