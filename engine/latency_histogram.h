// File: engine/latency_histogram.h
// LatencyHistogram: fixed-size log-linear histogram of microsecond latencies (HDR-like: 32
// linear sub-buckets per power of two, so any percentile is within ~3% of the true value),
// no allocation after construction. Candidate to move into engine/ (metrics) — see report.
// Thread-safety: Record/Merge/Percentile/Max may be called from any thread at the same time
// (relaxed atomics); a Percentile taken during Record sees a recent, not an exact, snapshot.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace sluice::stages {

class LatencyHistogram {
 public:
  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  /// Adds one sample (microseconds; values above ~2^40 us land in the last bucket).
  void Record(uint64_t us);
  /// Adds every sample of `other` to this one.
  void Merge(const LatencyHistogram& other);
  /// The value at percentile p (0..100) in us: the upper edge of the bucket holding it, capped
  /// at Max(). 0 when empty.
  [[nodiscard]] uint64_t Percentile(double p) const;
  [[nodiscard]] uint64_t Max() const { return max_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  /// Sum of every sample in us (for a Prometheus histogram's _sum).
  [[nodiscard]] uint64_t Sum() const { return sum_.load(std::memory_order_relaxed); }
  /// Samples known to be <= `us`: those in buckets whose upper edge is <= `us` (a bucket that
  /// straddles `us` counts above it, so this undercounts by at most one ~3% bucket). Used for
  /// cumulative Prometheus `le` buckets.
  [[nodiscard]] uint64_t CountAtOrBelow(uint64_t us) const;
  /// Forgets every sample.
  void Reset();

 private:
  static constexpr int kSubBits = 5;                       // 32 sub-buckets per octave
  static constexpr uint64_t kSubCount = 1ull << kSubBits;
  static constexpr int kMaxExponent = 40;                  // ~12.7 days in us
  static constexpr size_t kBuckets = 2 * kSubCount + (kMaxExponent - kSubBits) * kSubCount;

  static size_t IndexOf(uint64_t us);
  static uint64_t UpperEdge(size_t index);

  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> max_{0};
  std::atomic<uint64_t> sum_{0};
};

}  // namespace sluice::stages
