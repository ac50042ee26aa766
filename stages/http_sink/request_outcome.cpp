#include "stages/http_sink/request_outcome.h"

namespace sluice::stages {

RequestOutcome CurlRequestOutcome(const Transfer& t, CURLcode rc, size_t answer_budget_total) {
  RequestOutcome o;
  long code = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &code);
  // An answer whose head arrived but whose body stopped early (the connection ended before
  // Content-Length, or it passed its cap) is answered but incomplete; one the answer
  // budget stopped is resent later.
  const bool cut_short = code >= 200 && (rc == CURLE_PARTIAL_FILE ||
                                         (rc == CURLE_WRITE_ERROR && t.overflow == AnswerOverflow::kOverCap));
  o.answered = rc == CURLE_OK || cut_short;
  o.complete = rc == CURLE_OK;
  o.over_budget = rc == CURLE_WRITE_ERROR && t.overflow == AnswerOverflow::kOverBudget;
  if (o.answered) {
    o.status = code;
    if (!o.complete) {
      o.error = t.overflow == AnswerOverflow::kOverCap
                    ? std::string("the answer is longer than its cap")
                    : "the answer was cut short: " + std::string(t.error[0] != 0 ? t.error : curl_easy_strerror(rc));
    }
  } else if (o.over_budget) {
    o.error = "answer aborted: answers held at once would pass the answer budget of " +
              std::to_string(answer_budget_total) + " bytes";
  } else {
    o.permanent = IsPermanentCurlError(rc);
    o.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    o.error = t.error[0] != 0 ? std::string(t.error) : std::string(curl_easy_strerror(rc));
  }
  return o;
}

RequestOutcome PlainRequestOutcome(PlainHttpFinished& f) {
  RequestOutcome o;
  o.answered = f.failure == PlainHttpFailure::kNone || f.failure == PlainHttpFailure::kAnswerIncomplete;
  o.complete = f.failure == PlainHttpFailure::kNone;
  o.over_budget = f.failure == PlainHttpFailure::kAnswerOverBudget;
  o.status = f.status;
  o.timed_out = f.failure == PlainHttpFailure::kTimeout;
  o.error = std::move(f.error);
  return o;
}

}  // namespace sluice::stages
