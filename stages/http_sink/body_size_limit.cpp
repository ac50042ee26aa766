// File: stages/http_sink/body_size_limit.cpp
#include "stages/http_sink/body_size_limit.h"

#include <algorithm>

namespace sluice::stages {

void BodySizeLimit::OnAccepted(size_t bytes) {
  largest_accepted_ = std::max(largest_accepted_, bytes);
  ++accepted_;
  const size_t hint = hint_.load(std::memory_order_relaxed);
  if (hint == kNoLimit || ++run_ < recovery_run_) return;
  run_ = 0;
  // Doubling reaches any size in a few steps; once the cap is above every body ever refused it
  // limits nothing that is known to fail, so it is dropped.
  const size_t raised = hint > kNoLimit / 2 ? kNoLimit : hint * 2;
  hint_.store(raised > largest_refused_ ? kNoLimit : raised, std::memory_order_relaxed);
  raised_ = true;
}

BodySizeLimit::TooLarge BodySizeLimit::OnTooLarge(size_t bytes, size_t records, History& history) {
  run_ = 0;
  if (history.too_large_answers++ == 0) history.accepted_at_first = accepted_;
  if (bytes <= largest_accepted_) {
    // The sink took as much before: transient. A request of several records that keeps getting
    // 413 is split all the same (a sink may refuse one record of it, whatever the body size),
    // so retrying it whole can never go on forever; a single record is only retried.
    return records > 1 && history.too_large_answers >= kRejectAfter ? TooLarge::kSplit : TooLarge::kRetry;
  }
  largest_refused_ = std::max(largest_refused_, bytes);
  const size_t half = bytes / 2;
  const size_t hint = hint_.load(std::memory_order_relaxed);
  if (half < hint) {
    if (raised_) recovery_run_ = std::min(recovery_run_ * 2, kMaxRecoveryRun);
    raised_ = false;
    hint_.store(half, std::memory_order_relaxed);
  }
  if (records > 1) return TooLarge::kSplit;
  const bool others_accepted = accepted_ > history.accepted_at_first;
  if ((others_accepted && history.too_large_answers >= kRejectAfter) || history.too_large_answers >= kRejectAlways) {
    return TooLarge::kReject;
  }
  return TooLarge::kRetry;
}

}  // namespace sluice::stages
