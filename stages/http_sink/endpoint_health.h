// File: stages/http_sink/endpoint_health.h
// EndpointHealth: whether one sink endpoint is worth sending to, from how its requests end.
// HttpSender keeps one per --sink-url: Dispatch routes only to endpoints whose CanSend() is
// true, and OnDataDone reports every request's end here. Without it, an endpoint that accepts
// connections but never answers kept getting its round-robin share of requests, each held for
// the whole request timeout, and nothing named it.
//
// States: healthy -> (kUnhealthyAfter consecutive failures: timeouts, refused or reset
// connections) -> unhealthy for a probe interval (kFirstProbeInterval, doubling per failed
// probe up to max_probe_interval) -> one probe request -> healthy again on any answer, or
// unhealthy for a longer interval on failure. Any HTTP answer counts as alive (a 503 is a busy
// sink, which the retry backoff handles, not a dead one). Failures of requests sent before the
// endpoint was marked unhealthy neither extend the interval nor count as a failed probe. When
// every endpoint is unhealthy each is still probed at its own time, so a run never stalls and
// never spins.
// Thread-safety: none; the sender thread owns it.
#pragma once

#include <chrono>
#include <string>

namespace sluice::stages {

class EndpointHealth {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kUnhealthyAfter = 3;
  static constexpr std::chrono::milliseconds kFirstProbeInterval{1000};

  enum class Failure { kTimeout, kConnection };

  /// What a report changed, for the log line.
  enum class Change { kNone, kBecameUnhealthy, kProbeFailed, kBecameHealthy };

  explicit EndpointHealth(std::chrono::milliseconds max_probe_interval = std::chrono::milliseconds(30000))
      : max_probe_interval_(std::max(max_probe_interval, kFirstProbeInterval)) {}

  /// May a request go now? Healthy: yes. Unhealthy: once the probe time came and no probe is
  /// out; the caller then must call OnSent(true).
  [[nodiscard]] bool CanSend(Clock::time_point now) const {
    return healthy_ || (!probe_out_ && now >= probe_at_);
  }
  /// A request went out; `probe` is what IsProbeDue() said just before.
  void OnSent(bool probe) { probe_out_ = probe_out_ || probe; }
  /// True when the next request to this endpoint is its probe.
  [[nodiscard]] bool IsProbeDue() const { return !healthy_; }

  /// An HTTP answer arrived (any status).
  [[nodiscard]] Change OnAnswer(bool probe);
  /// The request ended without an answer.
  [[nodiscard]] Change OnFailure(Failure failure, bool probe, Clock::time_point now);

  [[nodiscard]] bool healthy() const { return healthy_; }
  /// When the next probe may go (meaningful while unhealthy).
  [[nodiscard]] Clock::time_point probe_at() const { return probe_at_; }
  [[nodiscard]] std::chrono::milliseconds probe_interval() const { return interval_; }
  /// "3 timeouts", "2 timeouts and 1 connection failure": the failures that made it unhealthy.
  [[nodiscard]] std::string FailureSummary() const;

 private:
  void MarkUnhealthy(Clock::time_point now);

  std::chrono::milliseconds max_probe_interval_;
  std::chrono::milliseconds interval_{0};
  bool healthy_ = true;
  bool probe_out_ = false;
  int consecutive_ = 0;
  int timeouts_ = 0;      ///< of the consecutive failures
  int connection_ = 0;    ///< of the consecutive failures
  Clock::time_point probe_at_{};
};

/// "sink endpoint URL unhealthy after 3 timeouts, routing to the other 1; probing again in 2 s".
/// `healthy_others`: endpoints still taking requests.
[[nodiscard]] std::string HealthChangeMessage(const std::string& url, const EndpointHealth& health,
                                              EndpointHealth::Change change, size_t healthy_others);

}  // namespace sluice::stages
