// File: devtools/sink_emulator/rate_limiter.h
// TokenBucket: a records/s or bytes/s limit per ingest endpoint, like FeatureBase's documented
// 1,000 records/s and 1 MB/s per endpoint. A request is admitted only if the bucket holds its
// full cost; otherwise nothing is taken and the caller answers ResourceThroughputExceeded.
// Thread-safety: TryTake is thread-safe (one mutex per bucket).
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace sluice::emulator {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  /// `rate_per_s` <= 0 disables the bucket (always admits). `burst` <= 0 = one second worth.
  TokenBucket(double rate_per_s, double burst)
      : rate_(rate_per_s), burst_(burst > 0 ? burst : rate_per_s), tokens_(burst_), last_(Clock::now()) {}

  bool TryTake(double cost) {
    if (rate_ <= 0) return true;
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
    last_ = now;
    // A request bigger than the whole burst could never pass: admit it when the bucket is
    // full and let the balance go negative, so the long-run rate still holds.
    if (cost > burst_ ? tokens_ < burst_ : tokens_ < cost) return false;
    tokens_ -= cost;
    return true;
  }

 private:
  const double rate_;
  const double burst_;
  std::mutex mu_;
  double tokens_;
  Clock::time_point last_;
};

/// The two buckets of one sink id.
struct EndpointLimiter {
  EndpointLimiter(double records_per_s, double burst_records, double bytes_per_s)
      : records(records_per_s, burst_records), bytes(bytes_per_s, 0) {}
  TokenBucket records;
  TokenBucket bytes;
};

/// Sink id -> limiter, created on first use. Thread-safe.
class LimiterRegistry {
 public:
  LimiterRegistry(double records_per_s, double burst_records, double bytes_per_s)
      : records_per_s_(records_per_s), burst_records_(burst_records), bytes_per_s_(bytes_per_s) {}
  bool enabled() const { return records_per_s_ > 0 || bytes_per_s_ > 0; }
  EndpointLimiter* Get(const std::string& sink_id) {
    {
      std::shared_lock<std::shared_mutex> lock(mu_);
      auto it = limiters_.find(sink_id);
      if (it != limiters_.end()) return it->second.get();
    }
    std::unique_lock<std::shared_mutex> lock(mu_);
    auto& slot = limiters_[sink_id];
    if (!slot) slot = std::make_unique<EndpointLimiter>(records_per_s_, burst_records_, bytes_per_s_);
    return slot.get();
  }

 private:
  const double records_per_s_, burst_records_, bytes_per_s_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<EndpointLimiter>> limiters_;
};

}  // namespace sluice::emulator
