// File: engine/message_text.h
// Text that goes into messages, logs, reports and dead letters: BodySnippet (a one-line head of
// a text some other party sent, e.g. a sink's answer) and RedactSecrets (every occurrence of
// each secret replaced). Used by the HTTP sink (SecretRedactor, its messages), the sink formats
// (reasons from answers) and the Kafka dead-letter sink. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// At most `max_bytes` of `body` on one line: control characters become spaces, trailing
/// spaces go, and "..." marks a cut. Not redacted: secrets are the caller's business.
[[nodiscard]] inline std::string BodySnippet(std::string_view body, size_t max_bytes = 300) {
  std::string out(body.substr(0, max_bytes));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (body.size() > max_bytes) out += "...";
  return out;
}

/// `text` with every occurrence of each of `secrets` (in their order; put longer ones first
/// when one may contain another) replaced by `mask`. Empty secrets must not be given.
[[nodiscard]] inline std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets,
                                               std::string_view mask = "[redacted]") {
  for (const std::string& s : secrets) {
    size_t pos = 0;
    while ((pos = text.find(s, pos)) != std::string::npos) {
      text.replace(pos, s.size(), mask);
      pos += mask.size();
    }
  }
  return text;
}

}  // namespace sluice
