// Unit tests for ParseRetryAfterSeconds, the Retry-After reading both HTTP clients share (the
// end-to-end pause is covered by http_sender_test and plain_http_client_test).
#include "stages/http_sink/retry_after.h"

#include <gtest/gtest.h>

namespace sluice::stages {
namespace {

TEST(ParseRetryAfterSeconds, ReadsDelaySeconds) {
  EXPECT_EQ(ParseRetryAfterSeconds("120"), 120);
  EXPECT_EQ(ParseRetryAfterSeconds("0"), 0);
  EXPECT_EQ(ParseRetryAfterSeconds(" \t7\r\n"), 7);  // a raw header line's value, CRLF and all
}

TEST(ParseRetryAfterSeconds, ReadsEveryDigit) {
  // Ten years: reading only the first 7 digits made this 3153600 s (36 days).
  EXPECT_EQ(ParseRetryAfterSeconds("315360000"), 315360000);
  EXPECT_EQ(ParseRetryAfterSeconds("2147483647"), kRetryAfterSaturatedSeconds);
}

TEST(ParseRetryAfterSeconds, SaturatesInsteadOfOverflowing) {
  EXPECT_EQ(ParseRetryAfterSeconds("2147483648"), kRetryAfterSaturatedSeconds);
  EXPECT_EQ(ParseRetryAfterSeconds("123456789012345678901234567890"), kRetryAfterSaturatedSeconds);
}

TEST(ParseRetryAfterSeconds, RejectsWhatIsNotDelaySeconds) {
  EXPECT_EQ(ParseRetryAfterSeconds(""), -1);
  EXPECT_EQ(ParseRetryAfterSeconds("   "), -1);
  EXPECT_EQ(ParseRetryAfterSeconds("Wed, 21 Oct 2026 07:28:00 GMT"), -1);  // HTTP-date form
  EXPECT_EQ(ParseRetryAfterSeconds("-5"), -1);
}

}  // namespace
}  // namespace sluice::stages
