// File: stages/http_sink/endpoint_health.cpp
#include "stages/http_sink/endpoint_health.h"

#include <algorithm>
#include <cstdio>

namespace sluice::stages {

EndpointHealth::Change EndpointHealth::OnAnswer(bool probe) {
  if (probe) probe_out_ = false;
  consecutive_ = timeouts_ = connection_ = 0;
  if (healthy_) return Change::kNone;
  healthy_ = true;
  probe_out_ = false;
  interval_ = std::chrono::milliseconds(0);
  return Change::kBecameHealthy;
}

EndpointHealth::Change EndpointHealth::OnFailure(Failure failure, bool probe, Clock::time_point now) {
  if (!healthy_) {
    // Only the probe's failure says something new: requests sent before the endpoint was
    // marked unhealthy were bound to fail the same way.
    if (!probe) return Change::kNone;
    probe_out_ = false;
    (failure == Failure::kTimeout ? timeouts_ : connection_)++;
    ++consecutive_;
    interval_ = std::min(interval_ * 2, max_probe_interval_);
    probe_at_ = now + interval_;
    return Change::kProbeFailed;
  }
  (failure == Failure::kTimeout ? timeouts_ : connection_)++;
  if (++consecutive_ < kUnhealthyAfter) return Change::kNone;
  MarkUnhealthy(now);
  return Change::kBecameUnhealthy;
}

void EndpointHealth::MarkUnhealthy(Clock::time_point now) {
  healthy_ = false;
  probe_out_ = false;
  interval_ = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstProbeInterval);
  probe_at_ = now + interval_;
}

std::string EndpointHealth::FailureSummary() const {
  auto count = [](int n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  if (timeouts_ > 0 && connection_ > 0) {
    return count(timeouts_, "timeout", "timeouts") + " and " +
           count(connection_, "connection failure", "connection failures");
  }
  if (timeouts_ > 0) return count(timeouts_, "timeout", "timeouts");
  return count(connection_, "connection failure", "connection failures");
}

std::string HealthChangeMessage(const std::string& url, const EndpointHealth& health, EndpointHealth::Change change,
                                size_t healthy_others) {
  char interval[32];
  std::snprintf(interval, sizeof interval, "%g s",
                std::chrono::duration<double>(health.probe_interval()).count());
  const std::string routing = healthy_others == 0
                                  ? "no healthy endpoint left, requests wait for a probe to succeed"
                                  : "routing to the other " + std::to_string(healthy_others);
  switch (change) {
    case EndpointHealth::Change::kBecameUnhealthy:
      return "sink endpoint " + url + " unhealthy after " + health.FailureSummary() + ", " + routing +
             "; probing again in " + interval;
    case EndpointHealth::Change::kProbeFailed:
      return "sink endpoint " + url + " still unhealthy (probe failed, " + health.FailureSummary() +
             " in a row), " + routing + "; probing again in " + interval;
    case EndpointHealth::Change::kBecameHealthy:
      return "sink endpoint " + url + " healthy again";
    case EndpointHealth::Change::kNone:
      break;
  }
  return {};
}

}  // namespace sluice::stages
