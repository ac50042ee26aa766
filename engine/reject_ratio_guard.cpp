#include "engine/reject_ratio_guard.h"

#include <algorithm>
#include <cstdio>

namespace sluice {

bool RejectRatioGuard::Observe(uint64_t consumed_total, uint64_t delivered, uint64_t rejected) {
  if (!enabled() || tripped_) return tripped_;
  outcomes_ += delivered + rejected;
  rejected_ += rejected;
  // A record has an outcome only after it was read; the max() guards against a caller that
  // counts the read after the outcome.
  consumed_ = std::max(consumed_total, outcomes_);
  if (outcomes_ < window_) return false;
  tripped_ = static_cast<double>(rejected_) > max_ratio_ * static_cast<double>(consumed_);
  return tripped_;
}

std::string RejectRatioGuard::Describe() const {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "%llu of the %llu records read were rejected, more than --max-reject-ratio %g (judged once %llu "
                "records had an outcome, --reject-window)",
                static_cast<unsigned long long>(rejected_), static_cast<unsigned long long>(consumed_), max_ratio_,
                static_cast<unsigned long long>(window_));
  return buf;
}

}  // namespace sluice
