// File: stages/http_sink/endpoint_set.h
// EndpointSet: the sink endpoints (--sink-url, one or more) and each one's sending state: its
// Retry-After pause, its health (EndpointHealth) and its token buckets (--rate-limit-records /
// --rate-limit-bytes, per endpoint). Acquire() chooses where the next request goes: round
// robin over the endpoints that are not paused, are healthy or due a probe, and have tokens
// for the request. HttpSender::Dispatch calls Acquire per request; OnDataDone reports health
// changes and ScheduleRetry pauses an endpoint through here.
// Thread-safety: none; everything here runs on the sender thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "stages/http_sink/endpoint_health.h"
#include "stages/http_sink/http_sink_config.h"
#include "stages/http_sink/retry_schedule.h"

namespace sluice::stages {

/// One endpoint: its URL, its own Retry-After pause, health and token buckets.
struct Endpoint {
  using Clock = std::chrono::steady_clock;
  std::string url;
  std::string url_for_messages;  ///< without credentials
  Clock::time_point paused_until{};
  EndpointHealth health;
  double record_tokens = 0;
  double byte_tokens = 0;
  Clock::time_point refilled_at{};
};

class EndpointSet {
 public:
  using Clock = Endpoint::Clock;
  static constexpr size_t kNone = std::numeric_limits<size_t>::max();

  EndpointSet() = default;
  /// One endpoint per config.urls entry, buckets full. `config` outlives the set.
  EndpointSet(const HttpSinkConfig* config, Clock::time_point now);

  [[nodiscard]] size_t size() const { return endpoints_.size(); }
  [[nodiscard]] const Endpoint& operator[](size_t i) const { return endpoints_[i]; }
  [[nodiscard]] Endpoint& operator[](size_t i) { return endpoints_[i]; }

  /// The endpoint a request of `records` records and `bytes` body bytes goes to now, with its
  /// tokens taken and its health told (`*probe`: this request is the endpoint's health
  /// probe); kNone when none can take it, and then `wake` is lowered to the earliest time a
  /// pause, probe or bucket that blocked it could let it go.
  [[nodiscard]] size_t Acquire(Clock::time_point now, double records, double bytes, Clock::time_point& wake,
                               bool* probe);

  /// Pauses endpoint `i` as `pacing` asks (a Retry-After), logging long pauses once.
  /// `status`: the HTTP status that carried the Retry-After, for the log line.
  void Pause(size_t i, Clock::time_point now, const RetryPacing& pacing, long status);

  /// Logs a health change of endpoint `i` (rare: once per state change or failed probe).
  void NoteHealth(size_t i, EndpointHealth::Change change) const;

 private:
  void Refill(Endpoint& e, Clock::time_point now) const;
  // How long `e` must wait before a request of `records`/`bytes` fits its buckets. A request
  // larger than a full bucket waits for a full bucket and then drives it negative.
  [[nodiscard]] Clock::duration RateWait(const Endpoint& e, double records, double bytes) const;

  const HttpSinkConfig* config_ = nullptr;
  std::vector<Endpoint> endpoints_;
  size_t next_ = 0;  // where the round robin starts looking
};

}  // namespace sluice::stages
