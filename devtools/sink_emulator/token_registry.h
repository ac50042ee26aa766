// File: devtools/sink_emulator/token_registry.h
// TokenRegistry: the emulator's identity service. Checks USERNAME/PASSWORD against the
// configured accounts, issues random IdToken/AccessToken/RefreshToken strings and checks
// bearer tokens (IdToken) against their expiry. Tokens are secrets: this class never logs.
// Thread-safety: all methods are thread-safe (one mutex; tokens are few).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "devtools/sink_emulator/emulator_config.h"

namespace sluice::emulator {

struct IssuedTokens {
  std::string id_token;
  std::string access_token;
  std::string refresh_token;
  uint32_t expires_in_s = 0;
};

/// Result of checking a bearer token.
enum class TokenCheck : uint8_t {
  kValid,    ///< known and not expired
  kExpired,  ///< was issued but its lifetime is over
  kUnknown,  ///< never issued by this process
};

class TokenRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  TokenRegistry(std::vector<UserAccount> users, uint32_t ttl_s);

  /// True if at least one account is configured (ingest then needs credentials).
  bool auth_required() const { return !users_.empty(); }
  /// Returns true and fills `out` when the credentials match an account.
  bool Authenticate(const std::string& user, const std::string& password, IssuedTokens* out);
  TokenCheck Check(const std::string& id_token) const;

 private:
  std::string RandomToken();

  const std::vector<UserAccount> users_;
  const uint32_t ttl_s_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  std::unordered_map<std::string, Clock::time_point> id_tokens_;  ///< token -> expiry
};

}  // namespace sluice::emulator
