// File: stages/http_sink/http_sink_config.h
// HttpSinkConfig: everything HttpSender is built from (endpoints, concurrency, auth, TLS,
// timeouts, retry, rate limits, compression). Filled by the app (app/), which has already loaded
// secrets from env/files; Validate() runs before the sender is created.
// Thread-safety: plain value; the sender keeps its own copy.
#pragma once

#include <string>
#include <vector>

#include "engine/status.h"

namespace sluice::stages {

/// How requests authenticate.
enum class AuthMode {
  kNone,               ///< no credentials
  kFeatureBaseToken,   ///< POST {"USERNAME","PASSWORD"} to auth_url, send "Authorization: Bearer <IdToken>"
  kApiKey,             ///< "X-API-Key: <api_key>"
  kBearer,             ///< "Authorization: Bearer <bearer_token>" (static token)
  kBasic,              ///< HTTP basic auth with username/password
  kClickHouseHeaders,  ///< "X-ClickHouse-User: <username>" + "X-ClickHouse-Key: <password>"
};

/// Which HTTP client carries data requests.
enum class HttpTransport {
  kAuto,  ///< http:// endpoints: PlainHttpClient (one writev per request, no body copy), unless
          ///< a proxy variable is set or auth is basic; everything else: libcurl
  kCurl,  ///< libcurl for every request
};

struct HttpSinkConfig {
  /// Ingest URLs (complete, incl. any query the format needs). Batches are spread round-robin;
  /// each endpoint has its own pause (Retry-After), health (endpoint_health.h) and rate-limit
  /// state. Required.
  std::vector<std::string> urls;
  /// Requests in flight in total (also the per-host connection cap). Default 4. Ignored when
  /// adaptive_concurrency is on.
  int concurrency = 4;
  /// `--concurrency auto`: the in-flight limit moves by AIMD between min_concurrency and
  /// max_concurrency, driven by request RTTs and 429/503/throttling answers (see
  /// concurrency_controller.h). Starts at initial_concurrency. Default false.
  bool adaptive_concurrency = false;
  /// Highest adaptive limit (also the per-host connection cap then). Default 512: enough for a
  /// sink 200 ms away (docs/benchmarking.md, "How high --max-concurrency").
  int max_concurrency = 512;
  /// Lowest adaptive limit. Default 1.
  int min_concurrency = 1;
  /// Adaptive limit to start from, clamped into [min_concurrency, max_concurrency]. Default 10,
  /// TCP's initial window (RFC 6928) for the same reason: ten requests in flight cost any sink
  /// little, and starting there saves slow start three of its nine round trips to 512, which
  /// against a sink 200 ms away is 0.6 s of a bulk load's first seconds.
  int initial_concurrency = 10;
  /// Debug: write a line to stderr when the adaptive limit changes (at most one a second).
  /// Default false.
  bool log_concurrency_changes = false;
  /// Offer HTTP/2 over TLS (ALPN); plain http:// stays HTTP/1.1 (no h2c). Default true.
  bool http2 = true;

  /// Data request client. Default kAuto. The token request always uses libcurl.
  HttpTransport transport = HttpTransport::kAuto;

  /// How requests authenticate. Default none.
  AuthMode auth = AuthMode::kNone;
  /// Token endpoint for kFeatureBaseToken (e.g. https://id.featurebase.com).
  std::string auth_url;
  /// kFeatureBaseToken/kBasic/kClickHouseHeaders user name.
  std::string username;
  /// Secret: never logged, never part of a Status.
  std::string password;
  /// Secret for kApiKey.
  std::string api_key;
  /// Secret for kBearer.
  std::string bearer_token;
  /// Extra "Name: value" request headers, sent as given.
  std::vector<std::string> extra_headers;

  /// CA bundle file for TLS verification; empty = system default.
  std::string ca_file;
  /// Turn off TLS peer and host verification (the CLI warns). Default false.
  bool insecure = false;
  /// Whole-request timeout in ms. Default 30000. Also how long a hanging endpoint holds each
  /// request before it counts as a failure towards the endpoint's health (endpoint_health.h).
  int request_timeout_ms = 30000;
  /// TCP/TLS connect timeout in ms. Default 5000.
  int connect_timeout_ms = 5000;

  /// Retries per batch before the run stops with a fatal error; -1 = unbounded (default).
  int max_retries = -1;
  /// Stop the run once batches waited this long, in ms, without the sink acknowledging
  /// anything (refused, hanging, 5xx...); 0 = retry forever (default). See sink_availability.h.
  int unavailable_timeout_ms = 0;
  /// First backoff ceiling in ms (exponential, full jitter). Default 100.
  int backoff_initial_ms = 100;
  /// Largest backoff ceiling in ms. Default 10000.
  int backoff_max_ms = 10000;
  /// Longest pause a Retry-After answer can put on an endpoint, in ms (a longer Retry-After is
  /// cut to this, and the pause is logged). Retry-After only lengthens a retry's wait: the
  /// backoff above is always the floor. Default 60000.
  int retry_after_max_ms = 60000;

  /// Per-endpoint record rate limit (token bucket, 1 s burst); 0 = off (default).
  double rate_limit_records_per_s = 0;
  /// Per-endpoint body byte rate limit (token bucket, 1 s burst); 0 = off (default).
  double rate_limit_bytes_per_s = 0;

  /// Most bytes of the sink's answers held at once over all requests in flight; 0 = no total
  /// (default). An answer whose growth would pass it is aborted and its batch resent later
  /// (unacknowledged); one answer may always complete alone, up to its own cap (at most
  /// kMaxAnswerCapBytes, answer_budget.h). tools/sluice derives it from --memory-budget.
  size_t max_answer_bytes_total = 0;

  /// Compress bodies with gzip (Content-Encoding: gzip). Default false.
  bool gzip = false;
  /// Refresh a FeatureBase token this many seconds before it expires. Default 300.
  int token_refresh_ahead_s = 300;
};

/// Checks ranges and that the chosen auth mode has what it needs. Messages name fields, never
/// secret values.
[[nodiscard]] Status Validate(const HttpSinkConfig& config);

}  // namespace sluice::stages
