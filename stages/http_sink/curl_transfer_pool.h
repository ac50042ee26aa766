// File: stages/http_sink/curl_transfer_pool.h
// The libcurl side of a request: Transfer (an easy handle and the request it carries),
// HeaderList (a curl_slist shared by the handles that point at it), the body and header
// callbacks that fill a Transfer, and CurlTransferPool, which makes transfers once, configures
// their handles once (callbacks, timeouts, TCP and TLS options, basic auth) and hands them out
// again. Plain-client transfers (no easy handle) are pooled here too, in their own free list.
// Used by HttpSender (data requests) and TokenFetcher (the token request's handle).
// Thread-safety: none; everything here runs on the sender thread only.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/batch.h"
#include "stages/http_sink/answer_budget.h"
#include "stages/http_sink/body_size_limit.h"
#include "stages/http_sink/http_sink_config.h"
#include "stages/http_sink/isolation_group.h"

namespace sluice::stages {

using SenderClock = std::chrono::steady_clock;

/// A batch on its way: the batch itself plus the sender's bookkeeping.
struct Job {
  std::unique_ptr<Batch> batch;
  SenderClock::time_point intended{};  ///< open-loop intended send time; epoch = none
  int retries = 0;                     ///< transient failures so far
  int auth_retries = 0;                ///< 401s so far
  int not_understood = 0;              ///< kNotUnderstood answers in a row
  std::string gzipped;                 ///< compressed body, made on first send
  bool probe = false;                  ///< its current request is its endpoint's health probe
  BodySizeLimit::History too_large;    ///< 413 answers so far
  /// Set once a batch of it was refused whole and split; shared by every part of that batch.
  std::shared_ptr<IsolationGroup> isolation;
  /// When its first transient failure happened (epoch: none yet), for "oldest batch waiting".
  SenderClock::time_point failing_since{};
};

/// A request header list shared by the easy handles that have it set (curl does not copy it):
/// freed when the last handle switched to a newer list (a token refresh) or was cleaned up.
/// `fields` is the same list as "Name: value\r\n" lines for PlainHttpClient ("Name:" lines,
/// which only tell curl to leave a header out, are not in it).
struct HeaderList {
  curl_slist* list = nullptr;
  std::string fields;
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() { curl_slist_free_all(list); }
};

/// `lines` (and `extra` when not empty) as one HeaderList.
[[nodiscard]] std::shared_ptr<HeaderList> MakeHeaderList(const std::vector<std::string>& lines,
                                                         const std::string& extra = {});

/// The header lines every data request carries: Content-Type, "Expect:" (no 100-continue
/// round trip), Content-Encoding with gzip, the static credentials of `config.auth` and the
/// extra headers. Token auth adds its bearer line per token (TokenFetcher).
[[nodiscard]] std::vector<std::string> StaticRequestHeaders(const HttpSinkConfig& config, std::string_view content_type);

/// An easy handle and the request it carries (a batch or the token request); CURLOPT_PRIVATE
/// points here. Data transfers are pooled and configured once: per request only the body, and
/// the URL or header list when they differ from what the handle already has, are set.
/// curl_easy_reset plus ~20 setopt calls per request, and the upload buffer curl frees whenever
/// CURLOPT_UPLOAD_BUFFERSIZE is set, are avoided.
struct Transfer {
  CURL* easy = nullptr;      ///< null for a PlainHttpClient request
  bool plain = false;        ///< carried by PlainHttpClient
  bool pooled = false;       ///< goes back to CurlTransferPool's free list when finished
  bool active = false;       ///< added to the multi handle, or started on the plain client
  std::unique_ptr<Job> job;  ///< null for the token request
  size_t endpoint = 0;
  size_t url_endpoint = std::numeric_limits<size_t>::max();  ///< endpoint whose URL `easy` has
  std::shared_ptr<HeaderList> headers;  ///< what CURLOPT_HTTPHEADER points at
  long upload_buffer = 0;               ///< CURLOPT_UPLOAD_BUFFERSIZE set on `easy`; 0 = default
  std::string response;
  std::string request_body;  ///< token request body (batches send their payload in place)
  long retry_after_s = -1;
  std::string location;      ///< the answer's Location header (redirects are named, not followed)
  size_t answer_cap = kMinAnswerCapBytes;  ///< longest answer kept whole (AnswerCapForRecords)
  AnswerBudget* answer_budget = nullptr;   ///< total answer bytes held; null for the token request
  size_t answer_held = 0;                  ///< bytes of `response` counted in answer_budget
  AnswerOverflow overflow = AnswerOverflow::kNone;  ///< why the libcurl write callback stopped
  uint64_t token_generation = 0;
  SenderClock::time_point started{};
  char error[CURL_ERROR_SIZE] = {0};

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);  // before `headers` goes
  }

  /// Clears what the previous request left (keeps the response buffer's capacity).
  void ResetAnswer() {
    response.clear();
    retry_after_s = -1;
    location.clear();
    overflow = AnswerOverflow::kNone;
    error[0] = 0;
  }
};

/// Curl errors that no retry can fix (bad URL, TLS trust problems): the run stops.
[[nodiscard]] bool IsPermanentCurlError(CURLcode rc);

class CurlTransferPool {
 public:
  CurlTransferPool() = default;
  CurlTransferPool(const CurlTransferPool&) = delete;
  CurlTransferPool& operator=(const CurlTransferPool&) = delete;

  /// Must be called before any other method; `config`, `answer_budget` and `multi` outlive
  /// the pool.
  void Init(const HttpSinkConfig* config, AnswerBudget* answer_budget, CURLM* multi) {
    config_ = config;
    answer_budget_ = answer_budget;
    multi_ = multi;
  }

  /// A pooled transfer, ready for a request's per-request options. Plain transfers and libcurl
  /// ones live in separate pools: only the latter own an easy handle.
  [[nodiscard]] Transfer* Take(bool for_plain_client);

  /// Options that stay for the handle's life (the URL, body and headers are set per request).
  void CommonOptions(Transfer* t) const;

  /// Takes `t` off the multi handle (libcurl transfers), drops its job, releases its answer
  /// bytes and, for pooled transfers, returns it to its free list.
  void Finish(Transfer* t);

  /// Finishes every active pooled transfer (leaving the loop: their requests go unreported).
  void FinishAllActive();

  /// Frees every transfer (their easy handles first); the multi handle must still exist.
  void Clear();

 private:
  const HttpSinkConfig* config_ = nullptr;
  AnswerBudget* answer_budget_ = nullptr;
  CURLM* multi_ = nullptr;
  std::vector<std::unique_ptr<Transfer>> pool_;        // libcurl transfers, configured once
  std::vector<Transfer*> idle_;                        // of pool_, not in the multi handle
  std::vector<std::unique_ptr<Transfer>> plain_pool_;  // transfers of plain requests
  std::vector<Transfer*> plain_idle_;
};

}  // namespace sluice::stages
