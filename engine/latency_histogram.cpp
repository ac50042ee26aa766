#include "engine/latency_histogram.h"

#include <bit>
#include <cmath>

namespace sluice::stages {

size_t LatencyHistogram::IndexOf(uint64_t us) {
  if (us < 2 * kSubCount) return static_cast<size_t>(us);  // exact below 64 us
  const int exponent = std::bit_width(us) - 1;                // >= kSubBits + 1
  if (exponent > kMaxExponent) return kBuckets - 1;
  const int shift = exponent - kSubBits;
  const uint64_t top = us >> shift;                           // in [kSubCount, 2*kSubCount)
  return static_cast<size_t>(2 * kSubCount + (exponent - kSubBits - 1) * kSubCount + (top - kSubCount));
}

uint64_t LatencyHistogram::UpperEdge(size_t index) {
  if (index < 2 * kSubCount) return index;
  const size_t rel = index - 2 * kSubCount;
  const int exponent = static_cast<int>(rel / kSubCount) + kSubBits + 1;
  const uint64_t top = kSubCount + rel % kSubCount;
  const int shift = exponent - kSubBits;
  return ((top + 1) << shift) - 1;
}

void LatencyHistogram::Record(uint64_t us) {
  buckets_[IndexOf(us)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(us, std::memory_order_relaxed);
  uint64_t prev = max_.load(std::memory_order_relaxed);
  while (us > prev && !max_.compare_exchange_weak(prev, us, std::memory_order_relaxed)) {
  }
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) {
    const uint64_t n = other.buckets_[i].load(std::memory_order_relaxed);
    if (n != 0) buckets_[i].fetch_add(n, std::memory_order_relaxed);
  }
  count_.fetch_add(other.Count(), std::memory_order_relaxed);
  sum_.fetch_add(other.Sum(), std::memory_order_relaxed);
  const uint64_t m = other.Max();
  uint64_t prev = max_.load(std::memory_order_relaxed);
  while (m > prev && !max_.compare_exchange_weak(prev, m, std::memory_order_relaxed)) {
  }
}

uint64_t LatencyHistogram::Percentile(double p) const {
  const uint64_t total = Count();
  if (total == 0) return 0;
  if (p < 0) p = 0;
  if (p > 100) p = 100;
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= rank) {
      const uint64_t edge = UpperEdge(i);
      return edge < Max() ? edge : Max();
    }
  }
  return Max();
}

uint64_t LatencyHistogram::CountAtOrBelow(uint64_t us) const {
  uint64_t n = 0;
  for (size_t i = 0; i < kBuckets && UpperEdge(i) <= us; ++i) n += buckets_[i].load(std::memory_order_relaxed);
  return n;
}

void LatencyHistogram::Reset() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
  sum_.store(0, std::memory_order_relaxed);
}

}  // namespace sluice::stages
