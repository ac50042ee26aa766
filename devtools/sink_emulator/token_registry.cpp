#include "devtools/sink_emulator/token_registry.h"

namespace sluice::emulator {

TokenRegistry::TokenRegistry(std::vector<UserAccount> users, uint32_t ttl_s)
    : users_(std::move(users)), ttl_s_(ttl_s) {
  std::random_device rd;
  std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
  rng_.seed(seq);
}

std::string TokenRegistry::RandomToken() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string t;
  t.reserve(64);
  for (int i = 0; i < 64; ++i) t.push_back(kAlphabet[rng_() & 63]);
  return t;
}

bool TokenRegistry::Authenticate(const std::string& user, const std::string& password,
                                 IssuedTokens* out) {
  bool match = false;
  for (const UserAccount& u : users_) {
    if (u.name == user && u.password == password) match = true;
  }
  if (!match) return false;
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Clock::now();
  // Forget expired tokens so a long run does not grow the map without bound.
  for (auto it = id_tokens_.begin(); it != id_tokens_.end();) {
    it = it->second <= now ? id_tokens_.erase(it) : std::next(it);
  }
  out->id_token = RandomToken();
  out->access_token = RandomToken();
  out->refresh_token = RandomToken();
  out->expires_in_s = ttl_s_;
  id_tokens_[out->id_token] = now + std::chrono::seconds(ttl_s_);
  return true;
}

TokenCheck TokenRegistry::Check(const std::string& id_token) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = id_tokens_.find(id_token);
  if (it == id_tokens_.end()) return TokenCheck::kUnknown;
  return it->second > Clock::now() ? TokenCheck::kValid : TokenCheck::kExpired;
}

}  // namespace sluice::emulator
