#include "stages/http_sink/token_fetcher.h"

#include <simdjson.h>

#include "engine/json_string.h"
#include "stages/http_sink/secret_redactor.h"

namespace sluice::stages {

void TokenFetcher::Init(bool enabled, const HttpSinkConfig* config, CurlTransferPool* transfers, CURLM* multi,
                        RetryPolicy* retry) {
  enabled_ = enabled;
  config_ = config;
  transfers_ = transfers;
  multi_ = multi;
  retry_ = retry;
}

TokenFetcher::Clock::time_point TokenFetcher::NextWake() const {
  if (!enabled_ || transfer_ != nullptr) return Clock::time_point::max();
  return valid_ ? refresh_at_ : retry_at_;
}

void TokenFetcher::MaybeStart(Clock::time_point now) {
  if (!enabled_ || transfer_ != nullptr || now < retry_at_) return;
  if (valid_ && now < refresh_at_) return;
  if (!slot_) {
    slot_ = std::make_unique<Transfer>();
    slot_->easy = curl_easy_init();
  } else {
    curl_easy_reset(slot_->easy);  // rare: a fresh configuration each time
  }
  Transfer* t = slot_.get();
  t->response.clear();
  t->retry_after_s = -1;
  t->answer_cap = kMinAnswerCapBytes;
  t->answer_budget = nullptr;
  t->overflow = AnswerOverflow::kNone;
  t->error[0] = 0;
  t->request_body = "{\"USERNAME\":";
  AppendJsonString(t->request_body, config_->username);
  t->request_body += ",\"PASSWORD\":";
  AppendJsonString(t->request_body, config_->password);
  t->request_body += "}";
  transfers_->CommonOptions(t);
  curl_easy_setopt(t->easy, CURLOPT_URL, config_->auth_url.c_str());
  t->headers = MakeHeaderList({"Content-Type: application/json", "Expect:"});
  curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers->list);
  curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->request_body.data());
  curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->request_body.size()));
  t->started = now;
  transfer_ = t;
  t->active = true;
  curl_multi_add_handle(multi_, t->easy);
}

TokenFetcher::Outcome TokenFetcher::OnDone(Transfer* t, CURLcode rc, Clock::time_point now, Status* error) {
  transfer_ = nullptr;
  const std::string where = "token request to " + UrlForMessages(config_->auth_url);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  const bool transient = rc != CURLE_OK ? !IsPermanentCurlError(rc)
                                        : (status == 408 || status == 429 || status >= 500);
  if (rc != CURLE_OK && !transient) {
    *error = Unavailable(where + " failed: " + std::string(t->error[0] ? t->error : curl_easy_strerror(rc)));
    return Outcome::kFatal;
  }
  if (transient) {
    retry_at_ = now + retry_->Backoff(failures_++);
    return Outcome::kRetryLater;
  }
  if (status < 200 || status >= 300) {
    // The body is not echoed in full: an identity service may repeat the request.
    *error = Status(status == 403 ? StatusCode::kPermissionDenied : StatusCode::kUnauthenticated,
                    where + " was refused: HTTP " + std::to_string(status) + ": " + BodySnippet(t->response, 200));
    return Outcome::kFatal;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view id_token;
  int64_t expires_in = 3600;
  const bool parsed = parser.parse(t->response.data(), t->response.size()).get(doc) == simdjson::SUCCESS &&
                      doc["AuthenticationResult"]["IdToken"].get_string().get(id_token) == simdjson::SUCCESS &&
                      !id_token.empty();
  if (!parsed) {
    *error = FailedPrecondition(where + " answered without AuthenticationResult.IdToken");
    return Outcome::kFatal;
  }
  int64_t e = 0;
  if (doc["AuthenticationResult"]["ExpiresIn"].get_int64().get(e) == simdjson::SUCCESS && e > 0) {
    expires_in = e;
  }
  token_.assign(id_token);
  valid_ = true;
  ++generation_;
  failures_ = 0;
  // Refresh ahead of expiry; for short-lived tokens at half their life instead.
  const int64_t ahead = expires_in > config_->token_refresh_ahead_s ? config_->token_refresh_ahead_s
                                                                     : expires_in / 2;
  refresh_at_ = now + std::chrono::seconds(expires_in - ahead);
  return Outcome::kFetched;
}

bool TokenFetcher::OnRefused(uint64_t generation) {
  // Counted once per token: the 401s of requests that were already on the wire with the
  // same token (answered while its replacement is being fetched) are not new refusals.
  if (generation == generation_ && valid_ && ++refused_fresh_tokens_ > kMaxRefusedFreshTokens) return true;
  if (generation == generation_) valid_ = false;
  return false;
}

void TokenFetcher::Abandon() {
  if (slot_ && slot_->active) transfers_->Finish(slot_.get());
  transfer_ = nullptr;
}

}  // namespace sluice::stages
