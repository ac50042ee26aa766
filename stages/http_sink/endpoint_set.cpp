#include "stages/http_sink/endpoint_set.h"

#include <algorithm>
#include <cstdio>

#include "engine/log.h"
#include "stages/http_sink/secret_redactor.h"

namespace sluice::stages {

using Ms = std::chrono::milliseconds;

EndpointSet::EndpointSet(const HttpSinkConfig* config, Clock::time_point now) : config_(config) {
  for (const std::string& u : config->urls) {
    Endpoint e;
    e.url = u;
    e.url_for_messages = UrlForMessages(u);
    // Probes of a dead endpoint back off like retries do: at most backoff_max_ms apart, so an
    // endpoint that comes back is used again about as soon as a retry would find it.
    e.health = EndpointHealth(Ms(config->backoff_max_ms));
    e.record_tokens = config->rate_limit_records_per_s;
    e.byte_tokens = config->rate_limit_bytes_per_s;
    e.refilled_at = now;
    endpoints_.push_back(std::move(e));
  }
}

void EndpointSet::Refill(Endpoint& e, Clock::time_point now) const {
  const HttpSinkConfig& config = *config_;
  const double dt = std::chrono::duration<double>(now - e.refilled_at).count();
  e.refilled_at = now;
  if (config.rate_limit_records_per_s > 0) {
    e.record_tokens = std::min(config.rate_limit_records_per_s, e.record_tokens + dt * config.rate_limit_records_per_s);
  }
  if (config.rate_limit_bytes_per_s > 0) {
    e.byte_tokens = std::min(config.rate_limit_bytes_per_s, e.byte_tokens + dt * config.rate_limit_bytes_per_s);
  }
}

EndpointSet::Clock::duration EndpointSet::RateWait(const Endpoint& e, double records, double bytes) const {
  const HttpSinkConfig& config = *config_;
  double wait_s = 0;
  if (config.rate_limit_records_per_s > 0) {
    const double need = std::min(records, config.rate_limit_records_per_s);
    if (e.record_tokens < need) wait_s = std::max(wait_s, (need - e.record_tokens) / config.rate_limit_records_per_s);
  }
  if (config.rate_limit_bytes_per_s > 0) {
    const double need = std::min(bytes, config.rate_limit_bytes_per_s);
    if (e.byte_tokens < need) wait_s = std::max(wait_s, (need - e.byte_tokens) / config.rate_limit_bytes_per_s);
  }
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait_s));
}

size_t EndpointSet::Acquire(Clock::time_point now, double records, double bytes, Clock::time_point& wake,
                            bool* probe) {
  size_t chosen = kNone;
  for (size_t k = 0; k < endpoints_.size(); ++k) {
    const size_t i = (next_ + k) % endpoints_.size();
    Endpoint& e = endpoints_[i];
    if (e.paused_until > now) {
      wake = std::min(wake, e.paused_until);
      continue;
    }
    if (!e.health.CanSend(now)) {  // unhealthy, and its probe is out or not due yet
      if (e.health.probe_at() > now) wake = std::min(wake, e.health.probe_at());
      continue;
    }
    Refill(e, now);
    const Clock::duration w = RateWait(e, records, bytes);
    if (w > Clock::duration::zero()) {
      wake = std::min(wake, now + w);
      continue;
    }
    chosen = i;
    break;
  }
  if (chosen == kNone) return kNone;
  next_ = chosen + 1;
  Endpoint& e = endpoints_[chosen];
  e.record_tokens -= records;
  e.byte_tokens -= bytes;
  *probe = e.health.IsProbeDue();
  e.health.OnSent(*probe);
  return chosen;
}

void EndpointSet::Pause(size_t i, Clock::time_point now, const RetryPacing& pacing, long status) {
  Endpoint& e = endpoints_[i];
  const Ms max(config_->retry_after_max_ms);
  if (ShouldLogPause(e.paused_until, now, pacing.endpoint_pause)) {
    Log(LogLevel::kWarn, "http_sink", PauseMessage(e.url_for_messages, status, pacing, max));
  }
  e.paused_until = std::max(e.paused_until, now + pacing.endpoint_pause);
}

void EndpointSet::NoteHealth(size_t i, EndpointHealth::Change change) const {
  if (change == EndpointHealth::Change::kNone) return;
  size_t healthy_others = 0;
  for (size_t j = 0; j < endpoints_.size(); ++j) {
    if (j != i && endpoints_[j].health.healthy()) ++healthy_others;
  }
  const Endpoint& e = endpoints_[i];
  Log(LogLevel::kWarn, "http_sink", HealthChangeMessage(e.url_for_messages, e.health, change, healthy_others));
}

}  // namespace sluice::stages
