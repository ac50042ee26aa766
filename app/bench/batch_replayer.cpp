// Nothing here signals the driver thread per request: the sender thread refills the closed-loop
// window itself from Recycle(), and the driver only tops up on a short timer. A condition
// variable notify per answer would cost a futex call and a context switch per request, which is
// most of what separates a replaying client from wrk at small bodies.
#include "app/bench/batch_replayer.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace sluice::bench {
namespace {

constexpr auto kDriverTick = std::chrono::milliseconds(2);

std::unique_ptr<Batch> CopyOf(const Batch& source) {
  auto copy = std::make_unique<Batch>();
  copy->payload = source.payload;
  copy->records = source.records;
  copy->meta = source.meta;
  copy->metas = source.metas;
  return copy;
}

}  // namespace

BatchReplayer::Clock::time_point BatchReplayer::StartTime() const {
  const int64_t ns = start_ns_.load(std::memory_order_acquire);
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

ReplayCounters BatchReplayer::Counters() const {
  ReplayCounters c;
  c.delivered = delivered_.load(std::memory_order_relaxed);
  c.delivered_bytes = delivered_bytes_.load(std::memory_order_relaxed);
  c.rejected = rejected_.load(std::memory_order_relaxed);
  return c;
}

void BatchReplayer::OnDelivery(DeliveryReport report) {
  delivered_.fetch_add(report.delivered.size(), std::memory_order_relaxed);
  delivered_bytes_.fetch_add(report.delivered_bytes, std::memory_order_relaxed);
  rejected_.fetch_add(report.rejected.size(), std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t done = report.delivered.size() + report.rejected.size();
  outstanding_records_ -= std::min(outstanding_records_, done);
}

void BatchReplayer::OnFatal(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!fatal_) fatal_status_ = std::move(status);
  fatal_ = true;
}

std::unique_ptr<Batch> BatchReplayer::TakeLocked() {
  std::unique_ptr<Batch> b;
  if (!rotation_.empty()) {
    b = std::move(rotation_.front());
    rotation_.pop_front();
  } else {
    b = CopyOf(*(*pool_)[next_pool_copy_]);
    next_pool_copy_ = (next_pool_copy_ + 1) % pool_->size();
  }
  b->id = next_id_++;
  b->attempts = 0;
  b->first_record_at = Clock::now();
  b->sealed_at = b->first_record_at;
  return b;
}

std::unique_ptr<Batch> BatchReplayer::ReserveLocked(uint64_t window_records) {
  if (!submitting_ || fatal_) return nullptr;
  if (config_.max_batches > 0 && submitted_ >= config_.max_batches) return nullptr;
  if (outstanding_records_ + batch_records_ > window_records) return nullptr;
  outstanding_records_ += batch_records_;
  ++submitted_;
  return TakeLocked();
}

void BatchReplayer::Recycle(std::unique_ptr<Batch> batch) {
  std::unique_ptr<Batch> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (batch->records.size() == batch_records_) rotation_.push_back(std::move(batch));
    if (!open_loop_) next = ReserveLocked(window_records_);
  }
  if (next) sender_->Submit(std::move(next));
}

Status BatchReplayer::Run(const std::atomic<int>* stop) {
  if (pool_->empty()) return InvalidArgument("the replay pool is empty");
  open_loop_ = config_.batches_per_s > 0;
  batch_records_ = (*pool_)[0]->records.size();
  const int concurrency = std::max(1, config_.concurrency);
  // Closed loop: C on the wire and C waiting inside the sender. Open loop: a cap that only a
  // sink far slower than the schedule reaches (memory stays bounded; latency still counts).
  const uint64_t window_batches =
      open_loop_ ? (config_.max_outstanding > 0 ? config_.max_outstanding : std::max<uint64_t>(64, 8ull * concurrency))
                 : 2ull * concurrency;
  window_records_ = window_batches * batch_records_;
  {
    // Every pool body in the rotation, and enough objects to fill the window.
    std::lock_guard<std::mutex> lock(mu_);
    const size_t objects = std::max<size_t>(pool_->size(), window_batches);
    for (size_t i = 0; i < objects; ++i) rotation_.push_back(CopyOf(*(*pool_)[i % pool_->size()]));
    submitting_ = true;
  }
  sender_->SetBatchRecycler([this](std::unique_ptr<Batch> b) { Recycle(std::move(b)); });
  Status started = sender_->Start(this);
  if (!started.ok()) return started;

  const Clock::time_point start = Clock::now();
  start_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count(),
                  std::memory_order_release);
  const Clock::time_point end =
      config_.duration_s > 0 ? start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(config_.duration_s))
                             : Clock::time_point::max();
  auto stop_level = [&] { return stop != nullptr ? stop->load(std::memory_order_relaxed) : 0; };
  auto due_at = [&](uint64_t k) {
    return start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(k) / config_.batches_per_s));
  };

  bool cancelled = false;
  uint64_t k = 0;  // open loop: batches sent on the schedule
  while (true) {
    if (stop_level() >= 1) {
      cancelled = true;
      break;
    }
    const Clock::time_point now = Clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (fatal_ || (config_.max_batches > 0 && submitted_ >= config_.max_batches)) break;
    }
    if (!open_loop_) {
      if (now >= end) break;
      // Tops the window up (at the start, and after batches that were not recycled).
      while (true) {
        std::unique_ptr<Batch> b;
        {
          std::lock_guard<std::mutex> lock(mu_);
          b = ReserveLocked(window_records_);
        }
        if (!b) break;
        sender_->Submit(std::move(b));
      }
      std::this_thread::sleep_for(std::min<Clock::duration>(kDriverTick, end - now));
      continue;
    }
    const Clock::time_point due = due_at(k);
    if (due >= end) break;
    if (now < due) {
      std::this_thread::sleep_until(std::min(due, now + std::chrono::milliseconds(20)));
      continue;
    }
    std::unique_ptr<Batch> b;
    {
      std::lock_guard<std::mutex> lock(mu_);
      b = ReserveLocked(window_records_);
    }
    if (!b) {
      std::this_thread::sleep_for(kDriverTick);  // the cap holds it back; its due time stands
      continue;
    }
    const double due_by_now = std::floor(std::chrono::duration<double>(Clock::now() - start).count() *
                                         config_.batches_per_s);
    backlog_.store(due_by_now > static_cast<double>(k + 1) ? static_cast<uint64_t>(due_by_now) - k - 1 : 0,
                   std::memory_order_relaxed);
    sender_->SubmitAt(std::move(b), due);
    ++k;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    submitting_ = false;
  }

  // Drain: every submitted record answered, bounded by the drain timeout; a second stop request
  // abandons at once.
  bool drained = false;
  const Clock::time_point drain_end = Clock::now() + std::chrono::milliseconds(config_.drain_timeout_ms);
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (outstanding_records_ == 0 || fatal_) {
        drained = outstanding_records_ == 0;
        break;
      }
    }
    if (Clock::now() >= drain_end || stop_level() >= 2) break;
    std::this_thread::sleep_for(kDriverTick);
  }
  sender_->Stop(/*abandon=*/!drained);
  std::lock_guard<std::mutex> lock(mu_);
  rotation_.clear();
  if (fatal_) return fatal_status_;
  if (cancelled) return Status(StatusCode::kCancelled, "stopped by a signal");
  if (!drained) return Status(StatusCode::kDeadlineExceeded, "requests still unanswered after the drain timeout");
  return Status::Ok();
}

}  // namespace sluice::bench
