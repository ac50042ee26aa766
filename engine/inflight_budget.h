// File: engine/inflight_budget.h
// InflightBudget: bounds the records and bytes between the source and the sink's
// acknowledgement. The ingress thread takes from it before it hands a chunk to the graph and
// gives back when acks return; when it runs out, the source is paused, so a slow sink slows
// the reader instead of growing memory. Single-threaded (ingress thread); counters are atomics
// only so metrics can read them from other threads.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice {

class InflightBudget {
 public:
  InflightBudget(uint64_t max_records, uint64_t max_bytes) : max_records_(max_records), max_bytes_(max_bytes) {}
  /// True if another chunk may enter. Always true when nothing is in flight, so one chunk larger
  /// than the whole budget still makes progress.
  bool HasRoom() const {
    const uint64_t r = records_.load(std::memory_order_relaxed);
    return r == 0 || (r < max_records_ && bytes_.load(std::memory_order_relaxed) < max_bytes_);
  }
  /// True once in flight fell below half the budget (resume hysteresis).
  bool BelowLowWatermark() const {
    return records_.load(std::memory_order_relaxed) <= max_records_ / 2 &&
           bytes_.load(std::memory_order_relaxed) <= max_bytes_ / 2;
  }
  void Take(uint64_t records, uint64_t bytes) {
    records_.fetch_add(records, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void Give(uint64_t records, uint64_t bytes) {
    records_.fetch_sub(records, std::memory_order_relaxed);
    bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  }
  uint64_t records() const { return records_.load(std::memory_order_relaxed); }
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t max_records() const { return max_records_; }
  uint64_t max_bytes() const { return max_bytes_; }

 private:
  const uint64_t max_records_;
  const uint64_t max_bytes_;
  std::atomic<uint64_t> records_{0};
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace sluice
