// File: stages/http_sink/token_fetcher.h
// TokenFetcher: FeatureBase token authentication (AuthMode::kFeatureBaseToken). Owns the token
// state (the current IdToken, whether it is valid, its generation, when to refresh it, the
// backoff after failed fetches, the count of fresh tokens refused in a row), builds the token
// request on its own easy handle and reads the answer (AuthenticationResult.IdToken and
// ExpiresIn). HttpSender starts fetches from its loop, hands the finished transfer back, and
// rebuilds its data headers from token() after a fetch succeeds.
// Thread-safety: none; everything here runs on the sender thread only.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/status.h"
#include "stages/http_sink/curl_transfer_pool.h"
#include "stages/http_sink/http_sink_config.h"
#include "stages/http_sink/retry_policy.h"

namespace sluice::stages {

class TokenFetcher {
 public:
  using Clock = SenderClock;

  /// Fresh tokens refused in a row, with no accepted request in between, before we conclude
  /// the credentials are no longer good. Counting per batch instead would stop a healthy run
  /// whose sink revokes a token now and then (a long-lived batch can meet several unrelated
  /// revocations).
  static constexpr int kMaxRefusedFreshTokens = 3;

  /// What a finished token request means.
  enum class Outcome {
    kRetryLater,  ///< transient failure: fetched again after a backoff
    kFetched,     ///< token() is new and valid
    kFatal,       ///< the run stops with the status OnDone filled in
  };

  TokenFetcher() = default;
  TokenFetcher(const TokenFetcher&) = delete;
  TokenFetcher& operator=(const TokenFetcher&) = delete;

  /// `enabled`: the sink uses token auth; otherwise every other method is a no-op and valid()
  /// is false. The pointers outlive the fetcher.
  void Init(bool enabled, const HttpSinkConfig* config, CurlTransferPool* transfers, CURLM* multi,
            RetryPolicy* retry);

  [[nodiscard]] bool enabled() const { return enabled_; }
  [[nodiscard]] bool valid() const { return valid_; }
  [[nodiscard]] uint64_t generation() const { return generation_; }
  [[nodiscard]] const std::string& token() const { return token_; }
  /// Whether `t` is the token request's transfer (in flight).
  [[nodiscard]] bool Owns(const Transfer* t) const { return t != nullptr && t == transfer_; }

  /// When the loop should look again (a refresh or a retry is due); max() while a fetch is out
  /// or when disabled.
  [[nodiscard]] Clock::time_point NextWake() const;

  /// Starts a fetch if none is out and the token is invalid or due for refresh.
  void MaybeStart(Clock::time_point now);

  /// The token request ended with `rc`; on kFatal `*error` says why (the caller redacts it).
  /// The caller finishes the transfer afterwards (CurlTransferPool::Finish).
  [[nodiscard]] Outcome OnDone(Transfer* t, CURLcode rc, Clock::time_point now, Status* error);

  /// A data request sent with token `generation` was answered 401. Returns true when the
  /// run must stop (the current token refused too often in a row); otherwise a refusal of the
  /// current token invalidates it (one refresh for everyone), a refusal of an older one only
  /// waits for the new token.
  [[nodiscard]] bool OnRefused(uint64_t generation);

  /// A data request was accepted: the credentials work.
  void OnAccepted() { refused_fresh_tokens_ = 0; }

  /// Leaving the loop: finishes a fetch that is out.
  void Abandon();

  /// Frees the token request's handle (the multi handle must still exist).
  void Clear() { slot_.reset(); }

 private:
  bool enabled_ = false;
  const HttpSinkConfig* config_ = nullptr;
  CurlTransferPool* transfers_ = nullptr;
  CURLM* multi_ = nullptr;
  RetryPolicy* retry_ = nullptr;  // the failed fetch's backoff
  std::unique_ptr<Transfer> slot_;  // the token request's handle (reconfigured per fetch)
  Transfer* transfer_ = nullptr;    // slot_ while a fetch is out
  std::string token_;
  bool valid_ = false;
  uint64_t generation_ = 0;
  Clock::time_point refresh_at_{};
  Clock::time_point retry_at_{};
  int failures_ = 0;
  int refused_fresh_tokens_ = 0;  // current tokens answered 401 since the last accepted request
};

}  // namespace sluice::stages
