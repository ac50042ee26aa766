// File: devtools/fake_flights/flight_run.h
// Options and result shared by the two ways of emitting fake flights (Kafka producer and NDJSON
// file writer), and RatePacer, which spreads records evenly over time for --rate.
// Thread-safety: plain values; a RatePacer belongs to one thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace sluice {

/// What to generate.
struct FlightRunOptions {
  /// Number of records to emit.
  uint64_t count = 100000;
  /// RNG seed; the same seed and first_id give the same records.
  uint64_t seed = 1;
  /// flight_id of the first record; later records count up from it.
  uint64_t first_id = 1;
  /// Target records per second; 0 = as fast as possible.
  double rate_per_s = 0;
};

/// What was emitted.
struct FlightRunSummary {
  uint64_t records = 0;  ///< records written / acknowledged by Kafka
  uint64_t bytes = 0;    ///< JSON payload bytes (NDJSON: including newlines, before gzip)
  double seconds = 0;    ///< wall time from first record to last write / delivery report
};

/// Tells the caller how long to wait before emitting record number `emitted` so that records
/// leave at `rate_per_s` on average. Checks the clock only every few records to stay cheap.
class RatePacer {
 public:
  explicit RatePacer(double rate_per_s)
      : rate_per_s_(rate_per_s),
        check_every_(rate_per_s >= 1000 ? static_cast<uint64_t>(rate_per_s / 1000) : 1),
        start_(std::chrono::steady_clock::now()) {}

  /// Zero when no waiting is needed; otherwise how long to wait (the caller may do useful work,
  /// such as serving delivery reports, while it waits).
  [[nodiscard]] std::chrono::nanoseconds WaitBefore(uint64_t emitted) const {
    if (rate_per_s_ <= 0 || emitted % check_every_ != 0) return std::chrono::nanoseconds(0);
    const auto due = start_ + std::chrono::nanoseconds(static_cast<int64_t>(
                                  static_cast<double>(emitted) * 1e9 / rate_per_s_));
    const auto now = std::chrono::steady_clock::now();
    return due > now ? std::chrono::duration_cast<std::chrono::nanoseconds>(due - now)
                     : std::chrono::nanoseconds(0);
  }

 private:
  double rate_per_s_;
  uint64_t check_every_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sluice
