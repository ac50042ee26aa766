// File: stages/http_sink/status_counts.h
// StatusCounts: data requests by the HTTP status of their answer (0 = no answer: refused,
// reset, timed out), and whether the latest answer says the sink is delivering. Feeds
// sluice_http_requests_total{code} and the /ready endpoint of `sluice run --metrics-addr`.
// Thread-safety: Record() on the sender thread; Snapshot() and LastDelivering() from any thread
// (relaxed atomics: a scrape may see a count one request behind another).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

namespace sluice::stages {

class StatusCounts {
 public:
  /// One finished data request: `answered` false (no status) or its HTTP status.
  void Record(bool answered, long status);
  /// (status, requests) for every status seen, ascending; status 0 = no answer.
  [[nodiscard]] std::vector<std::pair<int, uint64_t>> Snapshot() const;
  /// False when the latest finished request got no answer, a 5xx, a 408 or a 429 (the sink is
  /// down, failing or throttling); true after any other answer and before the first request.
  [[nodiscard]] bool LastDelivering() const { return last_delivering_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kMaxStatus = 599;
  std::array<std::atomic<uint64_t>, kMaxStatus + 1> counts_{};  // index 0: no answer / out of range
  std::atomic<bool> last_delivering_{true};
};

}  // namespace sluice::stages
