#include "stages/http_sink/answer_budget.h"

#include <algorithm>

namespace sluice::stages {

size_t AnswerCapForRecords(size_t records) {
  const size_t per_records = records > kMaxAnswerCapBytes / kAnswerBytesPerRecord
                                 ? kMaxAnswerCapBytes
                                 : records * kAnswerBytesPerRecord;
  return std::min(kMaxAnswerCapBytes, std::max(kMinAnswerCapBytes, per_records));
}

AnswerOverflow AdmitAnswerBytes(AnswerBudget* budget, size_t cap, size_t kept, size_t more, size_t announced,
                                size_t& held) {
  const size_t need = kept + more;
  if (need > cap || announced > cap) return AnswerOverflow::kOverCap;
  if (budget == nullptr) return AnswerOverflow::kNone;
  if (kept == 0 && announced > 0) budget->ObserveAnswer(announced);
  const size_t target = std::max(need, announced);
  if (target > held) {
    if (!budget->TryGrow(held, target - held)) return AnswerOverflow::kOverBudget;
    held = target;
  }
  return AnswerOverflow::kNone;
}

}  // namespace sluice::stages
