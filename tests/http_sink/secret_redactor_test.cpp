// SecretRedactor masks every credential sluice holds, in every form a sink may quote it; and
// the per-answer cap grows with the request.
#include "stages/http_sink/secret_redactor.h"

#include <gtest/gtest.h>

#include <string>

#include "stages/http_sink/answer_budget.h"

namespace sluice::stages {
namespace {

TEST(SecretRedactor, MasksEveryConfiguredCredential) {
  HttpSinkConfig c;
  c.api_key = "key-abc-123";
  c.bearer_token = "tok-xyz-789";
  c.username = "user";
  c.password = "pa\"ss";
  c.extra_headers = {"X-Api-Key: hdr-key-456", "Authorization: Bearer hdr-tok-000", "X-Trace: not-secret"};
  SecretRedactor r = SecretRedactor::ForConfig(c);
  const std::string basic = SecretRedactor::Base64("user:pa\"ss");
  const std::string text = "received headers: X-API-Key: key-abc-123; Authorization: Bearer tok-xyz-789; "
                           "Authorization: Basic " + basic + "; body {\"p\":\"pa\\\"ss\"} raw pa\"ss; "
                           "X-Api-Key: hdr-key-456; hdr-tok-000; X-Trace: not-secret";
  const std::string out = r.Redact(text);
  for (const std::string& secret : {std::string("key-abc-123"), std::string("tok-xyz-789"), basic,
                                    std::string("pa\"ss"), std::string("pa\\\"ss"), std::string("hdr-key-456"),
                                    std::string("hdr-tok-000")}) {
    EXPECT_EQ(out.find(secret), std::string::npos) << secret << " in " << out;
  }
  EXPECT_NE(out.find("not-secret"), std::string::npos) << out;
  EXPECT_NE(out.find("***"), std::string::npos);
}

TEST(SecretRedactor, MasksFetchedTokensOldAndNew) {
  SecretRedactor r;
  r.AddToken("first-token");
  r.AddToken("second-token");
  EXPECT_EQ(r.Redact("a first-token b second-token"), "a *** b ***");
  EXPECT_EQ(r.Redact("nothing here"), "nothing here");
}

TEST(SecretRedactor, EncodesBasicCredentialsLikeHttp) {
  EXPECT_EQ(SecretRedactor::Base64("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(SecretRedactor::Base64("a"), "YQ==");
  EXPECT_EQ(SecretRedactor::Base64("ab"), "YWI=");
  EXPECT_EQ(SecretRedactor::Base64(""), "");
}

TEST(AnswerBudget, CapGrowsWithTheRequestUpToACeiling) {
  EXPECT_EQ(AnswerCapForRecords(1), kMinAnswerCapBytes);
  EXPECT_EQ(AnswerCapForRecords(500), kMinAnswerCapBytes);
  EXPECT_EQ(AnswerCapForRecords(2000), 2000 * kAnswerBytesPerRecord);
  EXPECT_EQ(AnswerCapForRecords(size_t{1} << 40), kMaxAnswerCapBytes);
}

TEST(AnswerBudget, RefusesGrowthPastTheTotalUnlessTheAnswerIsAlone) {
  AnswerBudget b(100);
  EXPECT_TRUE(b.TryGrow(0, 60));   // answer A
  EXPECT_FALSE(b.TryGrow(0, 60));  // answer B would pass the total
  EXPECT_TRUE(b.TryGrow(60, 60));  // A alone may pass it (it must be able to complete)
  b.Release(120);
  EXPECT_EQ(b.Held(), 0u);
  EXPECT_EQ(b.Peak(), 120u);
}

TEST(AnswerBudget, ReservesTheAnnouncedLengthAndLearnsTheAnswerSize) {
  AnswerBudget b(1000);
  size_t held_a = 0;
  EXPECT_EQ(AdmitAnswerBytes(&b, 5000, 0, 10, 600, held_a), AnswerOverflow::kNone);
  EXPECT_EQ(held_a, 600u);  // the whole Content-Length, not just the first chunk
  EXPECT_FALSE(b.RoomForRequest(1));  // two answers of ~600 bytes would not fit 1000
  size_t held_b = 0;
  EXPECT_EQ(AdmitAnswerBytes(&b, 5000, 0, 10, 600, held_b), AnswerOverflow::kOverBudget);
  EXPECT_EQ(held_b, 0u);
  EXPECT_EQ(AdmitAnswerBytes(&b, 5000, 10, 100, 0, held_a), AnswerOverflow::kNone);  // within the reservation
  EXPECT_EQ(held_a, 600u);
  EXPECT_EQ(AdmitAnswerBytes(&b, 500, 0, 10, 600, held_b), AnswerOverflow::kOverCap);
  EXPECT_EQ(AdmitAnswerBytes(nullptr, 500, 495, 10, 0, held_b), AnswerOverflow::kOverCap);
}

}  // namespace
}  // namespace sluice::stages
