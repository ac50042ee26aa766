#include "stages/http_sink/retry_policy.h"

namespace sluice::stages {

void RetryPolicy::Count(RetryKind kind) {
  retries_.fetch_add(1, std::memory_order_relaxed);
  switch (kind) {
    case RetryKind::kThrottled: throttled_.fetch_add(1, std::memory_order_relaxed); break;
    case RetryKind::kServer: server_.fetch_add(1, std::memory_order_relaxed); break;
    case RetryKind::kNetwork: network_.fetch_add(1, std::memory_order_relaxed); break;
  }
}

RetryPacing RetryPolicy::Pace(int retries, long retry_after_s) {
  // The job's own backoff is the floor for every retry: a Retry-After of 0 sent straight back
  // to the queue made a retry storm. Retry-After pauses the whole endpoint on top (capped, so
  // a sink cannot stop the run for days); the job itself may go to another endpoint.
  return PaceRetry(Backoff(retries - 1), retry_after_s, std::chrono::milliseconds(config_->retry_after_max_ms));
}

RetryPolicy::Clock::duration RetryPolicy::Backoff(int attempt) {
  return DrawBackoff(attempt, config_->backoff_initial_ms, config_->backoff_max_ms, rng_);
}

}  // namespace sluice::stages
