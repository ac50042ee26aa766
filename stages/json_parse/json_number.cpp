// File: stages/json_parse/json_number.cpp
// Exact number text handling; see json_number.h.
#include "stages/json_parse/json_number.h"

#include <limits>

namespace sluice::stages {
namespace {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Accumulates plain digits into a uint64, false on overflow.
bool DigitsToUint64(std::string_view digits, uint64_t* out) {
  uint64_t v = 0;
  for (char c : digits) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseJsonNumber(std::string_view text, JsonNumberText* out) {
  size_t i = 0;
  const size_t n = text.size();
  JsonNumberText r;
  if (i < n && text[i] == '-') {
    r.negative = true;
    ++i;
  }
  const size_t int_begin = i;
  if (i >= n || !IsDigit(text[i])) return false;
  if (text[i] == '0') {
    ++i;
  } else {
    while (i < n && IsDigit(text[i])) ++i;
  }
  r.int_digits = text.substr(int_begin, i - int_begin);
  if (i < n && text[i] == '.') {
    ++i;
    const size_t frac_begin = i;
    while (i < n && IsDigit(text[i])) ++i;
    if (i == frac_begin) return false;
    r.frac_digits = text.substr(frac_begin, i - frac_begin);
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    const size_t exp_begin = i;
    int64_t e = 0;
    constexpr int64_t kClamp = 1000000000;
    while (i < n && IsDigit(text[i])) {
      if (e < kClamp) e = e * 10 + (text[i] - '0');
      ++i;
    }
    if (i == exp_begin) return false;
    if (e > kClamp) e = kClamp;
    r.has_exponent = true;
    r.exponent = exp_negative ? -e : e;
  }
  if (i != n) return false;
  *out = r;
  return true;
}

NumberConversion ToInt64(const JsonNumberText& n, int64_t* out) {
  if (!n.frac_digits.empty() || n.has_exponent) return NumberConversion::kNotInteger;
  uint64_t magnitude = 0;
  if (!DigitsToUint64(n.int_digits, &magnitude)) return NumberConversion::kOutOfRange;
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (n.negative) {
    if (magnitude > kMaxPositive + 1) return NumberConversion::kOutOfRange;
    // Two's complement negation of the magnitude; exact for -2^63 too.
    *out = static_cast<int64_t>(~magnitude + 1);
  } else {
    if (magnitude > kMaxPositive) return NumberConversion::kOutOfRange;
    *out = static_cast<int64_t>(magnitude);
  }
  return NumberConversion::kOk;
}

NumberConversion ToUint64(const JsonNumberText& n, uint64_t* out) {
  if (!n.frac_digits.empty() || n.has_exponent) return NumberConversion::kNotInteger;
  if (n.negative) return NumberConversion::kNegative;
  if (!DigitsToUint64(n.int_digits, out)) return NumberConversion::kOutOfRange;
  return NumberConversion::kOk;
}

NumberConversion AppendScaledDecimal(const JsonNumberText& n, int scale, std::string* out,
                                     int64_t* fraction_digits) {
  // Common case: no exponent, a non-zero integer part (so no leading zeros to drop and the
  // sign is kept) and no more fractional digits than the scale. Same text as the general
  // path below, without its digit-by-digit scan.
  if (!n.has_exponent && n.int_digits[0] != '0' &&
      n.frac_digits.size() <= static_cast<size_t>(scale) &&
      n.int_digits.size() + static_cast<size_t>(scale) <= static_cast<size_t>(kMaxDecimalDigits)) {
    *fraction_digits = 0;
    if (n.negative) out->push_back('-');
    out->append(n.int_digits);
    if (scale > 0) {
      out->push_back('.');
      out->append(n.frac_digits);
      out->append(static_cast<size_t>(scale) - n.frac_digits.size(), '0');
    }
    return NumberConversion::kOk;
  }
  // The digits D = int_digits ++ frac_digits, with the decimal point before index `point`.
  const int64_t int_len = static_cast<int64_t>(n.int_digits.size());
  const int64_t total = int_len + static_cast<int64_t>(n.frac_digits.size());
  auto digit = [&](int64_t i) -> char {
    if (i < 0 || i >= total) return '0';
    return i < int_len ? n.int_digits[static_cast<size_t>(i)]
                       : n.frac_digits[static_cast<size_t>(i - int_len)];
  };
  const int64_t point = int_len + n.exponent;
  int64_t first = -1;
  int64_t last = -1;
  for (int64_t i = 0; i < total; ++i) {
    if (digit(i) != '0') {
      if (first < 0) first = i;
      last = i;
    }
  }
  *fraction_digits = 0;
  if (first < 0) {  // zero, whatever its sign or exponent
    out->push_back('0');
    if (scale > 0) {
      out->push_back('.');
      out->append(static_cast<size_t>(scale), '0');
    }
    return NumberConversion::kOk;
  }
  const int64_t frac_needed = last + 1 - point;
  if (frac_needed > scale) {
    *fraction_digits = frac_needed;
    return NumberConversion::kTooManyDecimals;
  }
  const int64_t int_count = point > first ? point - first : 0;
  if (int_count + scale > kMaxDecimalDigits) return NumberConversion::kOutOfRange;
  if (n.negative) out->push_back('-');
  if (int_count == 0) {
    out->push_back('0');
  } else {
    for (int64_t i = first; i < point; ++i) out->push_back(digit(i));
  }
  if (scale > 0) {
    out->push_back('.');
    for (int64_t i = point; i < point + scale; ++i) out->push_back(digit(i));
  }
  return NumberConversion::kOk;
}

}  // namespace sluice::stages
