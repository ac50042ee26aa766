// File: stages/http_sink/sender_concurrency.h
// SenderConcurrency: how many data requests the sender may have in flight. Fixed
// (--concurrency) or adaptive (--adaptive-concurrency: a ConcurrencyController fed with every
// answer's round trip and whether the sink pushed back). Publishes the current limit for
// HttpSender::CurrentConcurrencyLimit and logs its changes (--log-concurrency-changes) at most
// once a second. Used by HttpSender (Dispatch reads Limit, OnDataDone calls Observe, the loop
// calls MaybeLog).
// Thread-safety: everything runs on the sender thread only, except Published(), which any
// thread may read.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "engine/status.h"
#include "stages/http_sink/concurrency_controller.h"
#include "stages/http_sink/http_sink_config.h"

namespace sluice::stages {

class SenderConcurrency {
 public:
  using Clock = std::chrono::steady_clock;

  /// Sets up the fixed or adaptive limit from `config` (which outlives this).
  [[nodiscard]] Status Init(const HttpSinkConfig* config);

  /// Requests allowed in flight now.
  [[nodiscard]] int Limit() const { return controller_ ? controller_->Limit() : config_->concurrency; }

  /// The limit as last published, for any thread.
  [[nodiscard]] int Published() const { return published_.load(std::memory_order_relaxed); }

  /// Feeds one answer to the adaptive limit (no-op when fixed). `in_flight_before`: requests in
  /// flight when it arrived (incl. this one); `queue_waiting`: batches wait for a slot. Both
  /// tell a saturated sender from an idle one.
  void Observe(Clock::duration rtt, bool overloaded, int in_flight_before, bool queue_waiting) {
    if (!controller_) return;
    const bool saturated = in_flight_before >= controller_->Limit() || queue_waiting;
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(rtt).count();
    controller_->OnResponse(us > 0 ? static_cast<uint64_t>(us) : 0, overloaded, saturated);
    published_.store(controller_->Limit(), std::memory_order_relaxed);
  }

  /// Debug line for limit changes, at most one a second (the loop wakes at least that often,
  /// so the last change is always reported).
  void MaybeLog(Clock::time_point now);

 private:
  const HttpSinkConfig* config_ = nullptr;
  std::unique_ptr<ConcurrencyController> controller_;  // null unless adaptive_concurrency
  std::atomic<int> published_{0};
  int logged_limit_ = 0;
  Clock::time_point limit_logged_at_{};
};

}  // namespace sluice::stages
