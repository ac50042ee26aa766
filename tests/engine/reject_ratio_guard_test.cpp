// RejectRatioGuard (--max-reject-ratio): judged over the records read once a window of outcomes
// arrived; rejections that arrive ahead of their chunk's deliveries do not trip it.
#include "engine/reject_ratio_guard.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(RejectRatioGuard, NotJudgedBeforeAWindowOfOutcomes) {
  RejectRatioGuard g(0.5, 1000);
  EXPECT_FALSE(g.Observe(999, 0, 999));  // every record so far rejected, but too few outcomes
  EXPECT_TRUE(g.Observe(1000, 0, 1));
  EXPECT_TRUE(g.Observe(5000, 1000, 0)) << "stays tripped";
}

TEST(RejectRatioGuard, ParserRejectionsAheadOfDeliveriesDoNotTripIt) {
  // A chunk of 5000 read with 30% bad records: the parser's 1500 rejections come first.
  RejectRatioGuard g(0.5, 1000);
  EXPECT_FALSE(g.Observe(5000, 0, 1500));
  EXPECT_FALSE(g.Observe(5000, 3500, 0));
}

TEST(RejectRatioGuard, MoreThanTheRatioOfTheRecordsReadTripsIt) {
  RejectRatioGuard g(0.5, 1000);
  EXPECT_TRUE(g.Observe(5000, 0, 3000));
  EXPECT_NE(g.Describe().find("3000 of the 5000 records read were rejected"), std::string::npos) << g.Describe();
}

TEST(RejectRatioGuard, OneTurnsItOff) {
  RejectRatioGuard g(1.0, 1);
  EXPECT_FALSE(g.enabled());
  EXPECT_FALSE(g.Observe(10, 0, 10));
}

}  // namespace
}  // namespace sluice
