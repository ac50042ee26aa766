// File: tests/testing/kcat.h
// kcat (the Kafka command-line client) as the process-level tests use it beside sluice: run it
// with lines on stdin, and decode what `kcat -C -J` prints (key, payload and headers, each
// possibly null) into KafkaMessage values a test can assert on. Used by tests/integration
// (dead letters against sluice-mock-kafka) and tests/real_kafka (against a real broker).
// Thread-safety: plain functions over their arguments.
#pragma once

#include <simdjson.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/testing/subprocess.h"

namespace sluice::testing {

/// One Kafka message as a test reads it back: nullopt marks a null key, value or header value.
struct KafkaMessage {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;  ///< in order

  /// The first header `name`'s value; "<null>" when null, "<absent>" when there is none.
  std::string Header(const std::string& name) const;
  std::vector<std::string> HeaderNames() const;
};

/// A JSON string as text, nullopt for JSON null, "<not a string>" for anything else.
std::optional<std::string> OptionalString(simdjson::dom::element e);

/// Calls `each` with every line of `text` (NDJSON) that `wanted` accepts, parsed; false and
/// *error ("not JSON: LINE", or what `each` set) at the first line that is not JSON or that
/// `each` refuses by returning false.
bool ForEachJsonLine(const std::string& text, std::string* error,
                     const std::function<bool(const std::string& line)>& wanted,
                     const std::function<bool(simdjson::dom::element doc, const std::string& line)>& each);

/// The messages of `kcat -C -J` output: one {"headers":["n","v",...],"key":..,"payload":..}
/// a line (lines not starting with '{' are passed over). Empty and *error on a line that is not
/// JSON.
std::vector<KafkaMessage> ParseKcatJson(const std::string& text, std::string* error);

/// `kcat ARGS...` (found on $PATH) with `input` on stdin, written to DIR/kcat-input.txt when
/// non-empty.
ProcessResult Kcat(const std::vector<std::string>& args, const std::string& input, const std::string& dir,
                   int timeout_ms = 120000);

}  // namespace sluice::testing
