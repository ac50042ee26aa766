// File: stages/http_sink/retry_policy.h
// RetryPolicy: the sender's retry rules as one type. It counts retries by kind (throttled,
// server, network: the run report's figures), says when a batch has had its --max-retries,
// and paces each retry (its own jittered backoff, and the endpoint pause a Retry-After asks
// for; the arithmetic is in retry_schedule.h). It owns the random generator for the jitter,
// which the token fetcher's backoff draws from too. Used by HttpSender::ScheduleRetry and
// TokenFetcher.
// Thread-safety: Count/Pace/Backoff on the sender thread only; the counters may be read from
// any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>

#include "stages/http_sink/http_sink_config.h"
#include "stages/http_sink/retry_schedule.h"

namespace sluice::stages {

enum class RetryKind { kThrottled, kServer, kNetwork };

class RetryPolicy {
 public:
  using Clock = RetryClock;

  RetryPolicy() = default;
  RetryPolicy(const RetryPolicy&) = delete;
  RetryPolicy& operator=(const RetryPolicy&) = delete;

  /// `config` outlives the policy.
  void Init(const HttpSinkConfig* config) { config_ = config; }

  /// Counts one retry of `kind`.
  void Count(RetryKind kind);

  /// Whether a batch that failed `retries` times (this failure included) has had all it may.
  [[nodiscard]] bool GivesUp(int retries) const {
    return config_->max_retries >= 0 && retries > config_->max_retries;
  }

  /// How the `retries`-th retry (1-based) of a batch waits, given the answer's Retry-After
  /// seconds (-1 = none).
  [[nodiscard]] RetryPacing Pace(int retries, long retry_after_s);

  /// The `attempt`-th backoff (0-based), jittered.
  [[nodiscard]] Clock::duration Backoff(int attempt);

  [[nodiscard]] uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t throttled() const { return throttled_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t server() const { return server_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t network() const { return network_.load(std::memory_order_relaxed); }

 private:
  const HttpSinkConfig* config_ = nullptr;
  std::mt19937_64 rng_{std::random_device{}()};
  std::atomic<uint64_t> retries_{0}, throttled_{0}, server_{0}, network_{0};
};

}  // namespace sluice::stages
