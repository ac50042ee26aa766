// File: app/bench/batch_replayer.h
// BatchReplayer: drives an HttpSender directly with prebuilt batches (see batch_pool.h), the
// way wrk replays one prebuilt request. The pool's bodies are copied once, before the clock
// starts, into a rotation of batch objects; the sender hands each finished batch back
// (HttpSender::SetBatchRecycler) and it goes to the back of the rotation, so no body is copied
// while measuring and every pool body keeps its turn.
// Closed loop: twice the concurrency is kept outstanding (C on the wire, C queued inside the
// sender), refilled from the sender thread as batches come back, so the next request starts
// without a thread hand-off. Open loop: batch k is due at start + k / batches_per_s and goes
// out through HttpSender::SubmitAt with that time, so latency counts from the schedule even
// when the outstanding cap holds it back (no coordinated omission).
// Thread-safety: Run() on one thread; OnDelivery/OnFatal and the recycler run on the sender
// thread; Counters()/StartTime()/BacklogBatches() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/batch.h"
#include "engine/delivery_report.h"
#include "engine/status.h"
#include "stages/http_sink/http_sender.h"

namespace sluice::bench {

struct ReplayConfig {
  int concurrency = 1;          ///< requests the sender may keep in flight
  double batches_per_s = 0;     ///< > 0: open loop on this schedule; 0: closed loop
  uint64_t max_batches = 0;     ///< stop after this many batches (0: no count limit)
  double duration_s = 0;        ///< stop submitting after this long from the start (0: no limit)
  uint64_t max_outstanding = 0; ///< open loop: batches submitted but unanswered (0: derived)
  int drain_timeout_ms = 10000; ///< after the end, how long to wait for answers
};

struct ReplayCounters {
  uint64_t delivered = 0, delivered_bytes = 0, rejected = 0;
};

class BatchReplayer final : public DeliveryListener {
 public:
  using Clock = std::chrono::steady_clock;

  /// Neither is owned; `pool` must not be empty, its batches of equal record count; both
  /// outlive the replayer.
  BatchReplayer(stages::HttpSender* sender, const std::vector<std::unique_ptr<Batch>>* pool, ReplayConfig config)
      : sender_(sender), pool_(pool), config_(config) {}

  /// Starts the sender, replays until the duration/count ends or `*stop` >= 1 (>= 2 abandons
  /// what is outstanding), drains, and stops the sender. Returns the sender's fatal error if
  /// one stopped the run, Cancelled on a stop request.
  [[nodiscard]] Status Run(const std::atomic<int>* stop);
  /// When Run() started the clock (epoch before). Thread-safe.
  [[nodiscard]] Clock::time_point StartTime() const;
  [[nodiscard]] ReplayCounters Counters() const;
  /// Open loop: batches that were due but held back by the outstanding cap at the last send.
  [[nodiscard]] uint64_t BacklogBatches() const { return backlog_.load(std::memory_order_relaxed); }

  void OnDelivery(DeliveryReport report) override;
  void OnFatal(Status status) override;

 private:
  /// A batch the sender is done with (sender thread): back into the rotation, and in closed
  /// loop the rotation's front goes out at once if the window has room.
  void Recycle(std::unique_ptr<Batch> batch);
  /// Takes the rotation's front, or copies a pool body if the rotation ran dry (a 413 split
  /// replaced a batch with halves, which are not replayed). Caller holds mu_.
  std::unique_ptr<Batch> TakeLocked();
  /// Reserves a window slot and takes a batch if there is room and the run still submits.
  /// Caller holds mu_.
  std::unique_ptr<Batch> ReserveLocked(uint64_t window_records);

  stages::HttpSender* sender_;
  const std::vector<std::unique_ptr<Batch>>* pool_;
  const ReplayConfig config_;
  uint64_t batch_records_ = 0;
  uint64_t window_records_ = 0;
  bool open_loop_ = false;

  std::atomic<int64_t> start_ns_{0};
  std::atomic<uint64_t> delivered_{0}, delivered_bytes_{0}, rejected_{0}, backlog_{0};
  std::mutex mu_;
  std::deque<std::unique_ptr<Batch>> rotation_;  // guarded by mu_
  size_t next_pool_copy_ = 0;                    // guarded by mu_
  uint64_t next_id_ = 1;                         // guarded by mu_
  uint64_t submitted_ = 0;                       // guarded by mu_
  uint64_t outstanding_records_ = 0;             // guarded by mu_ (records: splits answer in parts)
  bool submitting_ = false;                      // guarded by mu_
  bool fatal_ = false;                           // guarded by mu_
  Status fatal_status_;                          // guarded by mu_
};

}  // namespace sluice::bench
