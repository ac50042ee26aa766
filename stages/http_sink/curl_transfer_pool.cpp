#include "stages/http_sink/curl_transfer_pool.h"

#include <cctype>
#include <string_view>

#include "stages/http_sink/retry_after.h"

namespace sluice::stages {
namespace {

// Keeps an answer whole or not at all: past its cap, or past the total answer budget, the
// transfer is aborted (returning less than `bytes` makes curl end it with CURLE_WRITE_ERROR)
// and `overflow` says why.
size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  size_t announced = 0;
  if (t->response.empty()) {
    curl_off_t length = -1;
    if (curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length > 0) {
      announced = static_cast<size_t>(length);
    }
  }
  t->overflow = AdmitAnswerBytes(t->answer_budget, t->answer_cap, t->response.size(), bytes, announced, t->answer_held);
  if (t->overflow != AnswerOverflow::kNone) return 0;
  t->response.append(data, bytes);
  return bytes;
}

bool StartsWithIgnoreCase(std::string_view line, std::string_view lower_prefix) {
  if (line.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != lower_prefix[i]) return false;
  }
  return true;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  std::string_view line(data, bytes);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(line[i])) != kName[i]) {
        match = false;
        break;
      }
    }
    if (match) {
      const long seconds = ParseRetryAfterSeconds(line.substr(kName.size()));
      if (seconds >= 0) t->retry_after_s = seconds;
    }
  }
  if (StartsWithIgnoreCase(line, "http/")) {
    t->location.clear();  // a new answer's head (after a 100 Continue): its own fields only
  } else if (StartsWithIgnoreCase(line, "location:")) {
    std::string_view v = line.substr(9);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    t->location.assign(v.substr(0, 2048));
  }
  return bytes;
}

}  // namespace

std::shared_ptr<HeaderList> MakeHeaderList(const std::vector<std::string>& lines, const std::string& extra) {
  auto h = std::make_shared<HeaderList>();
  auto add = [&h](const std::string& line) {
    h->list = curl_slist_append(h->list, line.c_str());
    const size_t colon = line.find(':');
    if (colon != std::string::npos && line.find_first_not_of(" \t", colon + 1) != std::string::npos) {
      h->fields += line;
      h->fields += "\r\n";
    }
  };
  for (const std::string& line : lines) add(line);
  if (!extra.empty()) add(extra);
  return h;
}

std::vector<std::string> StaticRequestHeaders(const HttpSinkConfig& config, std::string_view content_type) {
  std::vector<std::string> h;
  h.push_back("Content-Type: " + std::string(content_type));
  h.push_back("Expect:");  // no 100-continue round trip
  if (config.gzip) h.push_back("Content-Encoding: gzip");
  switch (config.auth) {
    case AuthMode::kApiKey: h.push_back("X-API-Key: " + config.api_key); break;
    case AuthMode::kBearer: h.push_back("Authorization: Bearer " + config.bearer_token); break;
    case AuthMode::kClickHouseHeaders:
      h.push_back("X-ClickHouse-User: " + config.username);
      if (!config.password.empty()) h.push_back("X-ClickHouse-Key: " + config.password);
      break;
    case AuthMode::kFeatureBaseToken:  // TokenFetcher's token goes in per token
    case AuthMode::kNone:
    case AuthMode::kBasic: break;
  }
  for (const auto& x : config.extra_headers) h.push_back(x);
  return h;
}

bool IsPermanentCurlError(CURLcode rc) {
  switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_TOO_MANY_REDIRECTS:
      return true;
    default:
      return false;
  }
}

Transfer* CurlTransferPool::Take(bool for_plain_client) {
  std::vector<Transfer*>& free_list = for_plain_client ? plain_idle_ : idle_;
  Transfer* t;
  if (!free_list.empty()) {
    t = free_list.back();
    free_list.pop_back();
  } else {
    auto owned = std::make_unique<Transfer>();
    owned->plain = for_plain_client;
    owned->pooled = true;
    if (!for_plain_client) {
      owned->easy = curl_easy_init();
      CommonOptions(owned.get());
      if (config_->auth == AuthMode::kBasic) {
        curl_easy_setopt(owned->easy, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        curl_easy_setopt(owned->easy, CURLOPT_USERNAME, config_->username.c_str());
        curl_easy_setopt(owned->easy, CURLOPT_PASSWORD, config_->password.c_str());
      }
    }
    t = owned.get();
    (for_plain_client ? plain_pool_ : pool_).push_back(std::move(owned));
  }
  t->ResetAnswer();
  t->answer_budget = answer_budget_;
  return t;
}

void CurlTransferPool::CommonOptions(Transfer* t) const {
  const HttpSinkConfig& config = *config_;
  CURL* h = t->easy;
  curl_easy_setopt(h, CURLOPT_PRIVATE, t);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config.request_timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                   config.http2 ? static_cast<long>(CURL_HTTP_VERSION_2TLS)
                                : static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);  // prefer multiplexing on an h2 connection
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->error);
  if (!config.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config.ca_file.c_str());
  if (config.insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(h, CURLOPT_POST, 1L);
}

void CurlTransferPool::Finish(Transfer* t) {
  if (!t->plain) curl_multi_remove_handle(multi_, t->easy);
  t->active = false;
  t->job.reset();
  if (answer_budget_ != nullptr) answer_budget_->Release(t->answer_held);
  t->answer_held = 0;
  // An unusually long answer (an error list) need not stay allocated per handle.
  if (t->response.capacity() > (64u << 10)) std::string().swap(t->response);
  if (!t->pooled) return;
  (t->plain ? plain_idle_ : idle_).push_back(t);
}

void CurlTransferPool::FinishAllActive() {
  for (const auto& t : plain_pool_) {
    if (t->active) Finish(t.get());
  }
  for (const auto& t : pool_) {
    if (t->active) Finish(t.get());
  }
}

void CurlTransferPool::Clear() {
  plain_idle_.clear();
  idle_.clear();
  plain_pool_.clear();
  pool_.clear();
}

}  // namespace sluice::stages
