#include "stages/http_sink/isolation_group.h"

namespace sluice::stages {

IsolationGroup::Verdict IsolationGroup::OnOtherOutcome(size_t records) {
  resolved_ += records;
  one_reason_ = false;
  return Check();
}

IsolationGroup::Verdict IsolationGroup::OnRefusedWhole(DeliveryReport report, const std::string& reason, long status) {
  if (resolved_ == 0) {
    reason_ = reason;
    status_ = status;
  } else if (reason != reason_ || status != status_) {
    one_reason_ = false;
  }
  resolved_ += report.rejected.size();
  held_.push_back(std::move(report));
  return Check();
}

IsolationGroup::Verdict IsolationGroup::Check() const {
  if (resolved_ < total_) return Verdict::kPending;
  return one_reason_ && judged() ? Verdict::kConfigError : Verdict::kRelease;
}

std::string IsolationGroup::Describe() const {
  return "the sink refused every one of the " + std::to_string(total_) +
         " records of a batch, each alone, with the same answer (" + reason_ +
         "): that is a configuration error, not bad data - check --sink-url, --sink-format and the schema "
         "(--schema, --table); nothing of the batch was dead-lettered or committed";
}

}  // namespace sluice::stages
