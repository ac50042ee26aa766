#include "stages/http_sink/secret_redactor.h"

#include <algorithm>
#include <cctype>

#include "engine/json_string.h"

namespace sluice::stages {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

SecretRedactor SecretRedactor::ForConfig(const HttpSinkConfig& config) {
  SecretRedactor r;
  r.AddSecret(config.api_key);
  r.AddSecret(config.bearer_token);
  r.AddSecret(config.password);
  if (!config.password.empty()) r.AddSecret(Base64(config.username + ":" + config.password));
  for (const std::string& line : config.extra_headers) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos || !IsCredentialHeader(Trim(std::string_view(line).substr(0, colon)))) continue;
    const std::string_view value = Trim(std::string_view(line).substr(colon + 1));
    r.AddSecret(value);
    // "Bearer <token>" / "Basic <base64>": the credential alone may be quoted without its scheme.
    const size_t space = value.find(' ');
    if (space != std::string_view::npos) r.AddSecret(Trim(value.substr(space + 1)));
  }
  return r;
}

void SecretRedactor::AddSecret(std::string_view secret) {
  if (secret.size() < kMinSecretBytes) return;
  auto add = [this](std::string s) {
    if (std::find(secrets_.begin(), secrets_.end(), s) == secrets_.end()) secrets_.push_back(std::move(s));
  };
  add(std::string(secret));
  std::string quoted;
  AppendJsonString(quoted, secret);  // "..." with escapes
  if (quoted.size() >= 2) {
    std::string escaped = quoted.substr(1, quoted.size() - 2);
    if (escaped != secret) add(std::move(escaped));
  }
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string SecretRedactor::Redact(std::string_view text) const {
  return RedactSecrets(std::string(text), secrets_, kMask);
}

bool SecretRedactor::IsCredentialHeader(std::string_view name) {
  for (std::string_view known : {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token",
                                 "x-access-token", "cookie", "x-clickhouse-key", "x-amz-security-token"}) {
    if (EqualsIgnoreCase(name, known)) return true;
  }
  return false;
}

std::string SecretRedactor::Base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string UrlForMessages(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t host_begin = scheme + 3;
  const size_t path = url.find_first_of("/?#", host_begin);
  const size_t at = url.substr(0, path).rfind('@');
  if (at == std::string_view::npos || at < host_begin) return std::string(url);
  return std::string(url.substr(0, host_begin)) + std::string(url.substr(at + 1));
}

}  // namespace sluice::stages
