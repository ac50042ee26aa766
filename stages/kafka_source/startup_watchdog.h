// File: stages/kafka_source/startup_watchdog.h
// StartupWatchdog: bounds the time a Kafka source may take from Start() to its first partition
// assignment - resolving and connecting to the bootstrap brokers, fetching metadata, finding the
// group coordinator and joining the group. librdkafka retries all of these forever and only
// reports "transient" errors meanwhile, so without a bound a run against a wrong --brokers
// never ends. Past the timeout, Check() returns an error naming the brokers, the step that did
// not complete and librdkafka's last error, and the run fails instead of waiting.
// Used by KafkaSource (its error callback feeds NoteError, Poll calls Check until the first
// assignment). Thread-safety: not thread-safe; every caller runs on the pipeline's ingress
// thread (librdkafka serves the error callback inside the source's polls).
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

#include <librdkafka/rdkafka.h>

#include "engine/status.h"

namespace sluice::stages::internal {

class StartupWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  /// `timeout_ms` 0 turns the watchdog off (Check always passes). `session_timeout_ms`: the
  /// consumer's session.timeout.ms. Once the member is in the group, the wait may be a
  /// rebalance that waits for a crashed predecessor's session to expire (a restart after
  /// SIGKILL), which is no fault: the limit is then at least the session timeout plus
  /// kRebalanceSlackMs.
  StartupWatchdog(std::string brokers, std::string group, int timeout_ms, int session_timeout_ms)
      : brokers_(std::move(brokers)),
        group_(std::move(group)),
        timeout_ms_(timeout_ms),
        joined_timeout_ms_(std::max(timeout_ms, session_timeout_ms + kRebalanceSlackMs)) {}

  static constexpr int kRebalanceSlackMs = 15000;

  /// The clock starts (the consumer subscribed).
  void Arm(Clock::time_point now) {
    armed_ = true;
    started_at_ = now;
  }
  /// The first assignment came: startup is over, Check passes from now on.
  void Disarm() { done_ = true; }
  /// A librdkafka error seen during startup (already redacted). "All brokers are down" only
  /// fills in when nothing more specific (a resolve or connect failure) was seen: it is the
  /// consequence, not the cause.
  void NoteError(rd_kafka_resp_err_t err, const std::string& text);

  /// Ok before the timeout, after the first assignment, or when off. Otherwise
  /// DeadlineExceeded (past the session-based limit once `joined_group`): "no partition assigned within 30 s (brokers
  /// ...; group ...): <step>; librdkafka's last error: ...". `joined_group`: the coordinator gave this member an id.
  [[nodiscard]] Status Check(Clock::time_point now, bool joined_group) const;

  int timeout_ms() const { return timeout_ms_; }

 private:
  std::string brokers_;
  std::string group_;
  int timeout_ms_;
  int joined_timeout_ms_;
  bool armed_ = false;
  bool done_ = false;
  Clock::time_point started_at_{};
  std::string last_error_;
  bool last_error_is_specific_ = false;
};

}  // namespace sluice::stages::internal
