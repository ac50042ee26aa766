// File: stages/http_sink/secret_redactor.h
// SecretRedactor: the one place that turns text which came from the sink (per-record reasons,
// whole-request reasons written into dead letters, retry reasons, fatal messages and so the
// run report's error) into text safe to show. Sinks and API gateways often quote the request
// they got, headers included, so every credential sluice holds is replaced by "***": the API
// key, the static bearer token, every IdToken fetched, the password, the base64 form of basic
// credentials (user:password, as the Authorization header carries it), and the values of
// credential headers given as extra headers (Authorization, X-API-Key and the like). Each
// secret is also matched in its JSON-escaped form (an answer quoting it inside a JSON string).
// Secrets shorter than kMinSecretBytes are not matched (they would blank out ordinary text).
// Thread-safety: const methods may run concurrently; AddToken only from the thread that owns it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/message_text.h"  // BodySnippet: not redacted, pass it through Redact
#include "stages/http_sink/http_sink_config.h"

namespace sluice::stages {

class SecretRedactor {
 public:
  static constexpr size_t kMinSecretBytes = 3;
  static constexpr std::string_view kMask = "***";

  SecretRedactor() = default;
  /// Every credential `config` carries (auth fields and credential extra headers).
  [[nodiscard]] static SecretRedactor ForConfig(const HttpSinkConfig& config);

  /// Adds one secret (and its JSON-escaped form). Empty or too short secrets are ignored.
  void AddSecret(std::string_view secret);
  /// Adds a fetched token. Earlier tokens stay: an answer to a request that carried an old
  /// token may still quote it.
  void AddToken(std::string_view token) { AddSecret(token); }

  /// `text` with every occurrence of every secret replaced by kMask (longest secrets first,
  /// so a secret that contains another is masked whole).
  [[nodiscard]] std::string Redact(std::string_view text) const;

  /// Whether `name` (a header field name, any case) carries a credential.
  [[nodiscard]] static bool IsCredentialHeader(std::string_view name);
  /// Standard base64 (RFC 4648, padded), as basic auth uses it.
  [[nodiscard]] static std::string Base64(std::string_view in);

 private:
  std::vector<std::string> secrets_;  // sorted longest first
};

/// `url` without its "user:password@" part, for messages.
[[nodiscard]] std::string UrlForMessages(std::string_view url);

}  // namespace sluice::stages
