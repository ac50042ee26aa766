#include "stages/http_sink/http_sink_config.h"

namespace sluice::stages {

Status Validate(const HttpSinkConfig& c) {
  if (c.urls.empty()) return InvalidArgument("at least one sink URL is required");
  for (const auto& u : c.urls) {
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) {
      return InvalidArgument("sink URL must start with http:// or https://: " + u);
    }
  }
  if (c.concurrency < 1 || c.concurrency > 1024) return InvalidArgument("concurrency must be in [1, 1024]");
  if (c.adaptive_concurrency) {
    if (c.min_concurrency < 1) return InvalidArgument("min_concurrency must be >= 1");
    if (c.max_concurrency < c.min_concurrency || c.max_concurrency > 1024) {
      return InvalidArgument("max_concurrency must be in [min_concurrency, 1024]");
    }
    if (c.initial_concurrency < 1 || c.initial_concurrency > 1024) {
      return InvalidArgument("initial_concurrency must be in [1, 1024]");
    }
  }
  if (c.request_timeout_ms < 1) return InvalidArgument("request_timeout_ms must be >= 1");
  if (c.connect_timeout_ms < 1) return InvalidArgument("connect_timeout_ms must be >= 1");
  if (c.max_retries < -1) return InvalidArgument("max_retries must be >= -1 (-1 = unbounded)");
  if (c.unavailable_timeout_ms < 0) return InvalidArgument("unavailable_timeout_ms must be >= 0 (0 = no limit)");
  if (c.backoff_initial_ms < 1 || c.backoff_max_ms < c.backoff_initial_ms) {
    return InvalidArgument("backoff needs 1 <= backoff_initial_ms <= backoff_max_ms");
  }
  if (c.retry_after_max_ms < 0) return InvalidArgument("retry_after_max_ms must be >= 0");
  if (c.rate_limit_records_per_s < 0 || c.rate_limit_bytes_per_s < 0) {
    return InvalidArgument("rate limits must be >= 0");
  }
  if (c.token_refresh_ahead_s < 0) return InvalidArgument("token_refresh_ahead_s must be >= 0");
  switch (c.auth) {
    case AuthMode::kNone:
      break;
    case AuthMode::kFeatureBaseToken:
      if (c.auth_url.empty()) return InvalidArgument("token auth needs an auth URL");
      if (c.username.empty() || c.password.empty()) {
        return InvalidArgument("token auth needs a username and a password");
      }
      break;
    case AuthMode::kApiKey:
      if (c.api_key.empty()) return InvalidArgument("API-key auth needs an API key");
      break;
    case AuthMode::kBearer:
      if (c.bearer_token.empty()) return InvalidArgument("bearer auth needs a token");
      break;
    case AuthMode::kBasic:
    case AuthMode::kClickHouseHeaders:
      if (c.username.empty()) return InvalidArgument("this auth mode needs a username");
      break;
  }
  for (const auto& h : c.extra_headers) {
    if (h.find(':') == std::string::npos || h.find('\n') != std::string::npos) {
      return InvalidArgument("extra header must look like 'Name: value'");
    }
  }
  return Status::Ok();
}

}  // namespace sluice::stages
