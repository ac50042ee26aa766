// File: stages/schema_map/number_coercion.h
// The coercion rules for scalar values into int, id, decimal and bool columns (docs/schema.md),
// written once: the On-Demand walk (field_walk.cpp) and the byte-level fast path
// (field_fast_path.cpp) both call these, so the two produce the same bytes for every record
// the fast path accepts. The walk turns a failed outcome into a rejection message; the fast
// path gives up on it and lets the walk decide.
// Thread-safety: pure functions.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "stages/json_parse/json_number.h"
#include "stages/schema_map/ingest_schema.h"

namespace sluice::stages {

inline void AppendUint(std::string* out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

inline void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

/// Coerces the number `n` for an int, id or decimal `column`. `from_token`: `n` is a JSON
/// number token (not the content of a string). On kOk either `*keep_token` is set (the token
/// is already the canonical output, so the caller keeps the input bytes) or the output text was
/// appended to `*out`. Any other value is the reason it does not fit; for kTooManyDecimals,
/// `*fraction_digits` holds the number of significant fractional digits. On failure `*out` may
/// hold part of a value (a rejecting caller does not care; one that goes on truncates it).
[[nodiscard]] inline NumberConversion CoerceNumber(const Column& column, const JsonNumberText& n,
                                                   bool from_token, std::string* out,
                                                   bool* keep_token, int64_t* fraction_digits) {
  *keep_token = false;
  if (from_token && n.frac_digits.empty() && !n.has_exponent) {
    // Plain integer text is already canonical (the grammar has no leading zeros) when it
    // cannot overflow: keep the token ("-0" still becomes "0" below).
    if ((column.type == ColumnType::kId && !n.negative && n.int_digits.size() <= 19) ||
        (column.type == ColumnType::kInt && n.int_digits.size() <= 18 &&
         !(n.negative && n.int_digits == "0"))) {
      *keep_token = true;
      return NumberConversion::kOk;
    }
  }
  if (column.type == ColumnType::kInt) {
    int64_t v = 0;
    const NumberConversion r = ToInt64(n, &v);
    if (r == NumberConversion::kOk) AppendInt(out, v);
    return r;
  }
  if (column.type == ColumnType::kId) {
    uint64_t v = 0;
    const NumberConversion r = ToUint64(n, &v);
    if (r == NumberConversion::kOk) AppendUint(out, v);
    return r;
  }
  return AppendScaledDecimal(n, column.scale, out, fraction_digits);
}

/// A bool column's value from a string's content (`from_string`: "true" / "false") or from a
/// number token ("1" / "0"); false when the text is neither.
[[nodiscard]] inline bool BoolFromText(std::string_view text, bool from_string, bool* value) {
  if (text == (from_string ? "true" : "1")) {
    *value = true;
    return true;
  }
  *value = false;
  return text == (from_string ? "false" : "0");
}

}  // namespace sluice::stages
