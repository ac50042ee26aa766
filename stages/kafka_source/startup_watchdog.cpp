#include "stages/kafka_source/startup_watchdog.h"

#include <cstdio>

namespace sluice::stages::internal {
namespace {

std::string Seconds(int ms) {
  char buf[32];
  if (ms % 1000 == 0) {
    std::snprintf(buf, sizeof(buf), "%d s", ms / 1000);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f s", ms / 1000.0);
  }
  return buf;
}

}  // namespace

void StartupWatchdog::NoteError(rd_kafka_resp_err_t err, const std::string& text) {
  if (done_) return;
  const bool specific = err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
  if (!specific && last_error_is_specific_) return;
  last_error_ = std::string(rd_kafka_err2name(err)) + ": " + text;
  last_error_is_specific_ = specific;
}

Status StartupWatchdog::Check(Clock::time_point now, bool joined_group) const {
  if (timeout_ms_ <= 0 || !armed_ || done_) return Status::Ok();
  const int limit_ms = joined_group ? joined_timeout_ms_ : timeout_ms_;
  if (now - started_at_ < std::chrono::milliseconds(limit_ms)) return Status::Ok();
  std::string text = "kafka source: no partition assigned within " +
                     (limit_ms == timeout_ms_ ? "--startup-timeout " + Seconds(limit_ms)
                                              : Seconds(limit_ms) + " (session.timeout.ms + 15 s)") +
                     " (brokers " + brokers_ + ", group " + group_ + "): ";
  if (joined_group) {
    text += "the group coordinator accepted this member but never assigned partitions";
  } else if (last_error_is_specific_) {
    text += "could not reach the brokers or join the group";
  } else {
    text += "could not join the group";
  }
  text += "; librdkafka's last error: " + (last_error_.empty() ? std::string("none reported") : last_error_);
  return Status(StatusCode::kDeadlineExceeded, text);
}

}  // namespace sluice::stages::internal
