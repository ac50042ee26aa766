#include "stages/http_sink/answer_budget.h"

#include <algorithm>

namespace sluice::stages {

size_t AnswerCapForRecords(size_t records) {
  const size_t per_records = records > kMaxAnswerCapBytes / kAnswerBytesPerRecord
                                 ? kMaxAnswerCapBytes
                                 : records * kAnswerBytesPerRecord;
  return std::min(kMaxAnswerCapBytes, std::max(kMinAnswerCapBytes, per_records));
}

}  // namespace sluice::stages
