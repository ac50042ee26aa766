#include "stages/http_sink/status_counts.h"

namespace sluice::stages {

void StatusCounts::Record(bool answered, long status) {
  const bool known = answered && status >= 100 && status <= kMaxStatus;
  counts_[known ? static_cast<size_t>(status) : 0].fetch_add(1, std::memory_order_relaxed);
  const bool failing = !known || status >= 500 || status == 408 || status == 429;
  last_delivering_.store(!failing, std::memory_order_relaxed);
}

std::vector<std::pair<int, uint64_t>> StatusCounts::Snapshot() const {
  std::vector<std::pair<int, uint64_t>> out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    const uint64_t n = counts_[i].load(std::memory_order_relaxed);
    if (n > 0) out.emplace_back(static_cast<int>(i), n);
  }
  return out;
}

}  // namespace sluice::stages
