// File: stages/json_parse/json_number.h
// Strict JSON number text (RFC 8259 grammar) split into its parts, plus exact conversions that
// never go through double: to int64, to uint64, and to a fixed-scale decimal text.
// Used by the schema map's coercions on simdjson's raw number tokens and on numeric strings.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::stages {

/// The parts of a JSON number; views point into the text given to ParseJsonNumber.
struct JsonNumberText {
  bool negative = false;
  std::string_view int_digits;   ///< "0" or [1-9][0-9]*
  std::string_view frac_digits;  ///< digits after '.', empty when there is no '.'
  bool has_exponent = false;
  int64_t exponent = 0;          ///< clamped to +-1e9 (enough to mean "out of range")
};

/// True when `text` is exactly one JSON number (no sign '+', no leading zeros, no spaces).
[[nodiscard]] bool ParseJsonNumber(std::string_view text, JsonNumberText* out);

/// Outcome of an exact conversion.
enum class NumberConversion : uint8_t {
  kOk,              ///< converted exactly
  kNotInteger,      ///< has a fraction or an exponent (int/id need plain integer text)
  kNegative,        ///< negative where only unsigned values are allowed
  kOutOfRange,      ///< does not fit the target type
  kTooManyDecimals, ///< more significant fractional digits than the scale
};

/// Plain integer text to int64 (no fraction, no exponent).
[[nodiscard]] NumberConversion ToInt64(const JsonNumberText& n, int64_t* out);
/// Plain integer text to uint64 (no fraction, no exponent, no '-').
[[nodiscard]] NumberConversion ToUint64(const JsonNumberText& n, uint64_t* out);

/// Maximum number of decimal digits of a decimal column (ClickHouse Decimal64 / FeatureBase).
inline constexpr int kMaxDecimalDigits = 18;

/// Appends `n` as decimal text with exactly `scale` fractional digits (no '.' when scale is 0),
/// computed from the digits (exponents are applied by moving the point). Trailing zeros beyond
/// the scale are accepted (641.000 -> 641.00). `*fraction_digits` gets the number of
/// significant fractional digits (set for kTooManyDecimals). Nothing is appended on failure.
[[nodiscard]] NumberConversion AppendScaledDecimal(const JsonNumberText& n, int scale,
                                                   std::string* out, int64_t* fraction_digits);

}  // namespace sluice::stages
