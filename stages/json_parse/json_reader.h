// File: stages/json_parse/json_reader.h
// JsonReader: the per-worker simdjson On-Demand parser of the parse+map node, plus the helpers
// that make On-Demand validate a record completely. On-Demand only checks what it visits, so
// the schema map visits every token of every record (mapped or not): ValidateValue() walks a
// value it does not map, scalar tokens are checked with strict text rules (CheckStringToken,
// CheckLiteral, ParseJsonNumber), and CheckDocumentEnd() rejects trailing content.
// Inputs are never copied: the record chunk keeps kInputPaddingBytes readable bytes after the
// last payload, which covers SIMDJSON_PADDING (checked at compile time below).
// Thread-safety: a JsonReader belongs to one worker at a time; the free functions are pure.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/record_chunk.h"

namespace sluice::stages {

static_assert(sluice::kInputPaddingBytes >= simdjson::SIMDJSON_PADDING,
              "RecordChunk must keep at least SIMDJSON_PADDING bytes after the last payload");

/// Deepest nesting a record may have (objects and arrays); deeper records are rejected with
/// DEPTH_ERROR. Bounds the recursion of ValidateValue on a worker's stack.
inline constexpr int kMaxJsonDepth = 256;

/// One simdjson On-Demand parser; reuse it for every record of a worker (no allocation once
/// it has seen the largest record).
class JsonReader {
 public:
  /// Starts iterating [data, data+length); `capacity` bytes from `data` must be readable
  /// (capacity - length >= SIMDJSON_PADDING, else INSUFFICIENT_PADDING). The document is valid
  /// until the next Iterate() and points into the input.
  simdjson::error_code Iterate(const char* data, size_t length, size_t capacity,
                               simdjson::ondemand::document* doc) {
    return parser_.iterate(simdjson::padded_string_view(data, length, capacity)).get(*doc);
  }

 private:
  simdjson::ondemand::parser parser_;
};

/// True for the four JSON whitespace bytes.
inline bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/// The token of `value` without the whitespace that simdjson's raw_json_token() keeps after it.
inline std::string_view TrimmedToken(simdjson::ondemand::value& value) {
  std::string_view t = value.raw_json_token();
  while (!t.empty() && IsJsonSpace(t.back())) t.remove_suffix(1);
  return t;
}

/// True when the token is exactly `literal` ("true", "false", "null").
inline bool CheckLiteral(std::string_view token, std::string_view literal) {
  return token == literal;
}

/// Checks a string token (quotes included). Stage 1 has already rejected bad UTF-8, raw
/// control characters and unclosed strings; escapes are checked by unescaping, only when the
/// token has a backslash. `*has_escapes` tells the caller whether the content between the
/// quotes differs from its unescaped form.
simdjson::error_code CheckStringToken(simdjson::ondemand::value& value, std::string_view token,
                                      bool* has_escapes);

/// Visits every token of `value` and checks it; `depth` is the nesting level of `value`.
simdjson::error_code ValidateValue(simdjson::ondemand::value& value, int depth);

/// Same walk for the schema map's hot path. `may_have_escapes` false promises that the record
/// has no backslash at all (so string and key tokens need no unescaping to be checked).
/// `*compact_bytes` grows by the length `value` would have once minified (see RawFieldKey).
simdjson::error_code ValidateValue(simdjson::ondemand::value& value, int depth,
                                   bool may_have_escapes, size_t* compact_bytes);

/// The key of `field` without unescaping it: `*raw` is the text between the quotes (escapes
/// kept) and `*token_bytes` the key token's length with its quotes. Must be called before the
/// field's value is consumed. Found by walking back from the value over `:` and whitespace,
/// which On-Demand has already checked (the token after a key must be ':'), so the key is never
/// copied into simdjson's string buffer. A key without a backslash needs no further check
/// (stage 1 validated its UTF-8 and control characters).
inline void RawFieldKey(simdjson::ondemand::field& field, std::string_view* raw,
                        size_t* token_bytes) {
  const char* begin = field.key().raw();
  const char* p = field.value().raw_json_token().data() - 1;
  while (*p != ':') --p;
  --p;
  while (*p != '"') --p;
  *raw = std::string_view(begin, static_cast<size_t>(p - begin));
  *token_bytes = raw->size() + 2;
}

/// SUCCESS when the document has been consumed to its end, TRAILING_CONTENT otherwise.
simdjson::error_code CheckDocumentEnd(simdjson::ondemand::document& doc);

/// Appends `json` (already validated) to `out` with the insignificant whitespace removed.
simdjson::error_code AppendMinified(std::string_view json, std::string* out);

/// simdjson's text for an error code (static storage).
inline std::string_view JsonErrorText(simdjson::error_code error) {
  return simdjson::error_message(error);
}

}  // namespace sluice::stages
