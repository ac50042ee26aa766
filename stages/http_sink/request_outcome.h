// File: stages/http_sink/request_outcome.h
// RequestOutcome: how a data request ended, in the same words whichever client carried it
// (libcurl or PlainHttpClient): answered or not, read whole or not, stopped by the answer
// budget, timed out, or failed for good. HttpSender::OnDataDone acts on it; the two
// constructors below are the only places that read the clients' own result codes.
// Thread-safety: plain values and pure functions; used on the sender thread.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <string>

#include "stages/http_sink/curl_transfer_pool.h"
#include "stages/http_sink/plain_http_client.h"

namespace sluice::stages {

struct RequestOutcome {
  bool answered = false;     ///< an HTTP status arrived
  bool complete = true;      ///< with answered: the body was read whole
  bool over_budget = false;  ///< !answered: aborted to keep answers within the answer budget
  long status = 0;
  bool permanent = false;    ///< a failure no retry can fix (bad URL, TLS trust)
  bool timed_out = false;
  std::string error;         ///< what failed when !answered (or why an answer is incomplete)
};

/// The outcome of libcurl transfer `t` that ended with `rc`. `answer_budget_total`: the
/// answer budget's size, for the message when the budget stopped the answer.
[[nodiscard]] RequestOutcome CurlRequestOutcome(const Transfer& t, CURLcode rc, size_t answer_budget_total);

/// The outcome of a PlainHttpClient request (its error text is moved out of `f`).
[[nodiscard]] RequestOutcome PlainRequestOutcome(PlainHttpFinished& f);

}  // namespace sluice::stages
