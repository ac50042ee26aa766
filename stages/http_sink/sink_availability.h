// File: stages/http_sink/sink_availability.h
// SinkAvailability: what the operator sees while the sink cannot be reached or keeps refusing
// with retriable answers, and the optional limit on how long that may last.
//  - Warn(): a line on the first transient failure of each kind (connection failure, timeout,
//    HTTP 503, ...) since the sink last acknowledged something, then at most one every
//    kWarnInterval, with the retries so far and the age of the oldest batch waiting:
//    "sluice: sink http://127.0.0.1:9/: connection refused, retrying: 21 retries, oldest batch
//    waiting 12 s". Unbounded retry stays silent no more.
//  - Tick(): with --sink-unavailable-timeout, the status that stops the run once batches have
//    waited that long without the sink acknowledging anything (a hanging sink counts too:
//    no failure needs to have come back yet). Nothing past what was acknowledged is committed.
// Texts passed in must already be redacted (SecretRedactor). Used by HttpSender on its thread.
// Thread-safety: none (sender thread only).
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include "engine/status.h"

namespace sluice::stages {

class SinkAvailability {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kWarnInterval{5};

  /// `timeout_ms` 0: no limit (retry forever).
  explicit SinkAvailability(int timeout_ms = 0) : timeout_ms_(timeout_ms) {}

  /// A transient failure of kind `kind` ("connection", "HTTP 503"): returns the warning line
  /// to print (without newline) or "" when rate-limited. `url`, `why`: redacted.
  std::string Warn(Clock::time_point now, const std::string& kind, const std::string& url, const std::string& why,
                   Clock::time_point oldest_waiting);
  /// The sink acknowledged something (an accepted answer).
  void OnAcknowledged(Clock::time_point now);
  /// Called every loop turn. `work_waiting`: batches in flight, ready or waiting for a retry.
  /// Returns the stopping status once the limit passed, Ok otherwise.
  [[nodiscard]] Status Tick(Clock::time_point now, bool work_waiting, const std::string& url);
  /// When Tick needs to run next (time_point::max() when not needed).
  Clock::time_point NextDeadline() const;

 private:
  int timeout_ms_;
  bool troubled_ = false;             ///< a failure since the last acknowledgement
  std::set<std::string> kinds_seen_;  ///< failure kinds warned about since then
  Clock::time_point last_warn_{};
  uint64_t retries_ = 0;  ///< transient failures since then
  std::string last_error_;
  bool waiting_ = false;               ///< work was waiting at the last Tick
  Clock::time_point waiting_since_{};  ///< since when work waits without an acknowledgement
};

}  // namespace sluice::stages
