// Tests for stages/json_parse/json_number.h and stages/schema_map/rfc3339.h: exact text rules.
#include "stages/json_parse/json_number.h"

#include <gtest/gtest.h>

#include "stages/schema_map/rfc3339.h"

namespace sluice::stages {
namespace {

std::string Decimal(std::string_view text, int scale, NumberConversion* r = nullptr) {
  JsonNumberText n;
  if (!ParseJsonNumber(text, &n)) return "<not a number>";
  std::string out;
  int64_t frac = 0;
  NumberConversion c = AppendScaledDecimal(n, scale, &out, &frac);
  if (r) *r = c;
  if (c == NumberConversion::kTooManyDecimals) return "<" + std::to_string(frac) + " digits>";
  if (c != NumberConversion::kOk) return "<error>";
  return out;
}

TEST(JsonNumber, AcceptsOnlyJsonGrammar) {
  JsonNumberText n;
  for (const char* ok : {"0", "-0", "1", "641", "-12.50", "1e3", "1E+3", "2.5e-2", "0.0"}) {
    EXPECT_TRUE(ParseJsonNumber(ok, &n)) << ok;
  }
  for (const char* bad : {"", "-", "+1", "01", ".5", "1.", "1e", "1e+", " 1", "1 ", "0x10", "NaN",
                          "Infinity", "1.2.3", "--1", "42abc"}) {
    EXPECT_FALSE(ParseJsonNumber(bad, &n)) << bad;
  }
}

TEST(JsonNumber, ToInt64IsExactAtTheLimits) {
  JsonNumberText n;
  int64_t v = 0;
  ASSERT_TRUE(ParseJsonNumber("9223372036854775807", &n));
  EXPECT_EQ(ToInt64(n, &v), NumberConversion::kOk);
  EXPECT_EQ(v, INT64_MAX);
  ASSERT_TRUE(ParseJsonNumber("-9223372036854775808", &n));
  EXPECT_EQ(ToInt64(n, &v), NumberConversion::kOk);
  EXPECT_EQ(v, INT64_MIN);
  ASSERT_TRUE(ParseJsonNumber("9223372036854775808", &n));
  EXPECT_EQ(ToInt64(n, &v), NumberConversion::kOutOfRange);
  ASSERT_TRUE(ParseJsonNumber("-9223372036854775809", &n));
  EXPECT_EQ(ToInt64(n, &v), NumberConversion::kOutOfRange);
  ASSERT_TRUE(ParseJsonNumber("42.0", &n));
  EXPECT_EQ(ToInt64(n, &v), NumberConversion::kNotInteger);
  ASSERT_TRUE(ParseJsonNumber("4e2", &n));
  EXPECT_EQ(ToInt64(n, &v), NumberConversion::kNotInteger);
}

TEST(JsonNumber, ToUint64RejectsNegativeAndOverflow) {
  JsonNumberText n;
  uint64_t v = 0;
  ASSERT_TRUE(ParseJsonNumber("18446744073709551615", &n));
  EXPECT_EQ(ToUint64(n, &v), NumberConversion::kOk);
  EXPECT_EQ(v, UINT64_MAX);
  ASSERT_TRUE(ParseJsonNumber("18446744073709551616", &n));
  EXPECT_EQ(ToUint64(n, &v), NumberConversion::kOutOfRange);
  ASSERT_TRUE(ParseJsonNumber("-1", &n));
  EXPECT_EQ(ToUint64(n, &v), NumberConversion::kNegative);
}

TEST(JsonNumber, ScaledDecimalIsExact) {
  EXPECT_EQ(Decimal("641", 2), "641.00");
  EXPECT_EQ(Decimal("641.5", 2), "641.50");
  EXPECT_EQ(Decimal("641.000", 2), "641.00");  // trailing zeros do not count
  EXPECT_EQ(Decimal("641.005", 2), "<3 digits>");
  EXPECT_EQ(Decimal("0.1", 2), "0.10");
  EXPECT_EQ(Decimal("-0.1", 2), "-0.10");
  EXPECT_EQ(Decimal("-0.00", 2), "0.00");
  EXPECT_EQ(Decimal("0", 0), "0");
  EXPECT_EQ(Decimal("12", 0), "12");
  EXPECT_EQ(Decimal("12.5", 0), "<1 digits>");
  EXPECT_EQ(Decimal("1.5e2", 2), "150.00");
  EXPECT_EQ(Decimal("15e-1", 2), "1.50");
  EXPECT_EQ(Decimal("1e-3", 2), "<3 digits>");
  EXPECT_EQ(Decimal("0e999999999999", 2), "0.00");
  EXPECT_EQ(Decimal("0.30000000000000004", 2), "<17 digits>");  // no double rounding
  EXPECT_EQ(Decimal("9999999999999999.99", 2), "9999999999999999.99");
  NumberConversion r;
  EXPECT_EQ(Decimal("99999999999999999", 2, &r), "<error>");
  EXPECT_EQ(r, NumberConversion::kOutOfRange);
  EXPECT_EQ(Decimal("1e30", 2, &r), "<error>");
  EXPECT_EQ(r, NumberConversion::kOutOfRange);
}

TEST(Rfc3339, AcceptsValidAndRejectsInvalid) {
  for (const char* ok : {"2024-02-29T12:34:56Z", "2024-01-01t00:00:00z", "2024-01-01T00:00:00.123Z",
                         "2024-01-01T00:00:00.123456789+05:30", "1999-12-31T23:59:59-08:00"}) {
    EXPECT_TRUE(IsRfc3339Timestamp(ok)) << ok;
  }
  for (const char* bad : {"", "2024-01-01", "2024-01-01 00:00:00Z", "2023-02-29T00:00:00Z",
                          "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z",
                          "2024-01-01T00:00:00", "2024-01-01T00:00:00.Z",
                          "2024-01-01T00:00:00.1234567890Z", "2024-01-01T00:00:00+0530",
                          "2024-01-01T00:00:00Z ", "1700000000"}) {
    EXPECT_FALSE(IsRfc3339Timestamp(bad)) << bad;
  }
}

}  // namespace
}  // namespace sluice::stages
