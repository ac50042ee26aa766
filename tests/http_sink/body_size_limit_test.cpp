// Unit tests for BodySizeLimit: what a 413 means given the sink's earlier answers, and how the
// batch byte cap drops and recovers.
#include "stages/http_sink/body_size_limit.h"

#include <gtest/gtest.h>

namespace sluice::stages {
namespace {

using TooLarge = BodySizeLimit::TooLarge;

TEST(BodySizeLimit, NoLimitUntilA413) {
  BodySizeLimit l;
  l.OnAccepted(1000);
  EXPECT_EQ(l.Hint(), BodySizeLimit::kNoLimit);
}

TEST(BodySizeLimit, A413ToABodyNoLargerThanAnAcceptedOneIsRetried) {
  BodySizeLimit l;
  l.OnAccepted(100000);
  BodySizeLimit::History one;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(l.OnTooLarge(375, 1, one), TooLarge::kRetry);  // never dead-lettered
  }
  BodySizeLimit::History many;
  for (int i = 1; i < BodySizeLimit::kRejectAfter; ++i) {
    EXPECT_EQ(l.OnTooLarge(100000, 500, many), TooLarge::kRetry);  // not split at once
  }
  // ... but a batch that keeps getting 413 is split (it may hold one record the sink refuses).
  EXPECT_EQ(l.OnTooLarge(100000, 500, many), TooLarge::kSplit);
  EXPECT_EQ(l.Hint(), BodySizeLimit::kNoLimit);  // and the cap stays where it was
}

TEST(BodySizeLimit, ALargerBodyLowersTheCapAndIsSplit) {
  BodySizeLimit l;
  l.OnAccepted(1000);
  BodySizeLimit::History h;
  EXPECT_EQ(l.OnTooLarge(8000, 20, h), TooLarge::kSplit);
  EXPECT_EQ(l.Hint(), 4000u);
}

TEST(BodySizeLimit, TransientBurstBeforeAnyAcceptanceRejectsNothing) {
  // The sink answers 413 to everything for a while, then accepts: a single record retried
  // through the burst is not dead-lettered while nothing else was accepted either.
  BodySizeLimit l;
  BodySizeLimit::History h;
  for (int i = 0; i < BodySizeLimit::kRejectAlways - 1; ++i) {
    EXPECT_EQ(l.OnTooLarge(375, 1, h), TooLarge::kRetry) << i;
  }
  l.OnAccepted(375);
  EXPECT_EQ(l.OnTooLarge(375, 1, h), TooLarge::kRetry);  // now accepted once: transient
}

TEST(BodySizeLimit, ARecordRefusedWhileOthersAreAcceptedIsRejected) {
  BodySizeLimit l;
  l.OnAccepted(100);
  BodySizeLimit::History h;
  int answers = 0;
  TooLarge last = TooLarge::kRetry;
  while (last == TooLarge::kRetry && answers < 100) {
    last = l.OnTooLarge(5000, 1, h);
    ++answers;
    l.OnAccepted(100);  // the sink keeps taking small requests meanwhile
  }
  EXPECT_EQ(last, TooLarge::kReject);
  EXPECT_EQ(answers, BodySizeLimit::kRejectAfter);
}

TEST(BodySizeLimit, ARecordRefusedForeverIsRejectedEventually) {
  BodySizeLimit l;
  BodySizeLimit::History h;
  int answers = 0;
  while (l.OnTooLarge(5000, 1, h) == TooLarge::kRetry && answers < 100) ++answers;
  EXPECT_EQ(answers + 1, BodySizeLimit::kRejectAlways);
}

TEST(BodySizeLimit, TheCapRecoversAfterARunOfAcceptedRequests) {
  BodySizeLimit l;
  BodySizeLimit::History h;
  ASSERT_EQ(l.OnTooLarge(200000, 500, h), TooLarge::kSplit);
  ASSERT_EQ(l.OnTooLarge(750, 2, h), TooLarge::kSplit);
  ASSERT_EQ(l.Hint(), 375u);
  int accepted = 0;
  size_t last = l.Hint();
  while (l.Hint() != BodySizeLimit::kNoLimit && accepted < 10000) {
    l.OnAccepted(std::min<size_t>(l.Hint(), 200000));
    ++accepted;
    EXPECT_GE(l.Hint(), last);  // only rises, step by step
    last = l.Hint();
  }
  EXPECT_EQ(l.Hint(), BodySizeLimit::kNoLimit);
  // 375 -> 200000 takes 10 doublings of kFirstRecoveryRun requests each.
  EXPECT_EQ(accepted, 10 * BodySizeLimit::kFirstRecoveryRun);
}

TEST(BodySizeLimit, ARealLimitIsProbedLessAndLessOften) {
  BodySizeLimit l;
  BodySizeLimit::History h;
  ASSERT_EQ(l.OnTooLarge(2000, 4, h), TooLarge::kSplit);  // the sink's real limit is below 2000
  ASSERT_EQ(l.Hint(), 1000u);
  // First raise after kFirstRecoveryRun accepted requests: 2000 is back (no longer limits any
  // refused body? 2000 was refused, so the cap becomes 2000, not unlimited).
  for (int i = 0; i < BodySizeLimit::kFirstRecoveryRun; ++i) l.OnAccepted(900);
  EXPECT_EQ(l.Hint(), 2000u);
  ASSERT_EQ(l.OnTooLarge(1900, 4, h), TooLarge::kSplit);  // refused again: back to 950
  EXPECT_EQ(l.Hint(), 950u);
  for (int i = 0; i < BodySizeLimit::kFirstRecoveryRun; ++i) l.OnAccepted(900);
  EXPECT_EQ(l.Hint(), 950u);  // the next raise needs a longer run
  for (int i = 0; i < BodySizeLimit::kFirstRecoveryRun; ++i) l.OnAccepted(900);
  EXPECT_EQ(l.Hint(), 1900u);
}

}  // namespace
}  // namespace sluice::stages
