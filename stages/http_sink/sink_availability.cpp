#include "stages/http_sink/sink_availability.h"

#include <cstdio>

#include "engine/log.h"

namespace sluice::stages {
namespace {

std::string Seconds(std::chrono::steady_clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  char buf[32];
  std::snprintf(buf, sizeof(buf), s < 10 ? "%.1f s" : "%.0f s", s);
  return buf;
}

}  // namespace

std::string SinkAvailability::Warn(Clock::time_point now, const std::string& kind, const std::string& url,
                                   const std::string& why, Clock::time_point oldest_waiting) {
  ++retries_;
  troubled_ = true;
  last_error_ = why;
  const bool new_kind = kinds_seen_.insert(kind).second;
  if (!new_kind && now - last_warn_ < kWarnInterval) return "";
  last_warn_ = now;
  std::string line =
      "sink " + url + ": " + why + ", retrying: " + std::to_string(retries_) + " retr" + (retries_ == 1 ? "y" : "ies");
  if (oldest_waiting != Clock::time_point{} && oldest_waiting <= now) {
    line += ", oldest batch waiting " + Seconds(now - oldest_waiting);
  }
  if (timeout_ms_ > 0) line += " (--sink-unavailable-timeout " + Seconds(std::chrono::milliseconds(timeout_ms_)) + ")";
  return line;
}

void SinkAvailability::OnAcknowledged(Clock::time_point now) {
  if (troubled_) {
    Logf(LogLevel::kInfo, "http_sink", "sink answers again after %llu retr%s",
         static_cast<unsigned long long>(retries_), retries_ == 1 ? "y" : "ies");
  }
  troubled_ = false;
  kinds_seen_.clear();
  retries_ = 0;
  waiting_since_ = now;
}

Status SinkAvailability::Tick(Clock::time_point now, bool work_waiting, const std::string& url) {
  if (!work_waiting) {
    waiting_ = false;
    return Status::Ok();
  }
  if (!waiting_) {
    waiting_ = true;
    waiting_since_ = now;
  }
  if (timeout_ms_ <= 0 || now - waiting_since_ < std::chrono::milliseconds(timeout_ms_)) return Status::Ok();
  return Unavailable("sink " + url + " acknowledged nothing for " + Seconds(now - waiting_since_) +
                     " while batches waited (--sink-unavailable-timeout " +
                     Seconds(std::chrono::milliseconds(timeout_ms_)) + "; " + std::to_string(retries_) +
                     " retries; last error: " + (last_error_.empty() ? std::string("no answer yet") : last_error_) +
                     "); the run stops, nothing past what the sink acknowledged is committed");
}

SinkAvailability::Clock::time_point SinkAvailability::NextDeadline() const {
  if (timeout_ms_ <= 0 || !waiting_) return Clock::time_point::max();
  return waiting_since_ + std::chrono::milliseconds(timeout_ms_);
}

}  // namespace sluice::stages
