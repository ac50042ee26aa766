#include "app/bench/open_loop_sender.h"

#include <algorithm>

namespace sluice::bench {

void OpenLoopSender::Submit(std::unique_ptr<Batch> batch) {
  // Chunks are transformed in parallel, so a batch's records need not be in offset order: its
  // newest record is the one with the highest offset.
  int64_t newest = 0;
  for (const BatchRecord& r : batch->records) newest = std::max(newest, r.position.offset);
  batch->intended_send_at = schedule_->ScheduledTime(newest);
  const Batch::Clock::time_point intended = batch->intended_send_at;
  inner_->SubmitAt(std::move(batch), intended);
}

}  // namespace sluice::bench
