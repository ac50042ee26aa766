// File: stages/kafka_source/log_limiter.cpp
// LogLimiter's one-line-per-key-per-10-s rule. Used by KafkaSource and OffsetCommitter.
// Thread-safety: none of its own; callers stay on the ingress thread (see log_limiter.h).
#include "stages/kafka_source/log_limiter.h"

namespace sluice::stages::internal {
namespace {

constexpr auto kLogInterval = std::chrono::seconds(10);

}  // namespace

void LogLimiter::Log(LogKey key, const std::string& text) {
  Window& w = windows_[key];
  const auto now = std::chrono::steady_clock::now();
  if (w.last.time_since_epoch().count() != 0 && now - w.last < kLogInterval) {
    ++w.suppressed;
    return;
  }
  std::string line = text;
  if (w.suppressed > 0) line += " (" + std::to_string(w.suppressed) + " similar suppressed)";
  w.last = now;
  w.suppressed = 0;
  LogKafka(redactor_, LogLevel::kWarn, "kafka", line);
}

}  // namespace sluice::stages::internal
