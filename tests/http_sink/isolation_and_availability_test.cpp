// IsolationGroup (a batch refused whole, judged once every record has an outcome) and
// SinkAvailability (warnings while the sink fails, --sink-unavailable-timeout), with a
// controlled clock.
#include <gtest/gtest.h>

#include "stages/http_sink/isolation_group.h"
#include "stages/http_sink/sink_availability.h"

namespace sluice::stages {
namespace {

DeliveryReport OneRejected() {
  DeliveryReport r;
  r.rejected.emplace_back();
  return r;
}

TEST(IsolationGroup, EveryRecordRefusedAlikeIsAConfigurationError) {
  IsolationGroup g(4);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(g.OnRefusedWhole(OneRejected(), "HTTP 400: bad table", 400), IsolationGroup::Verdict::kPending);
  }
  EXPECT_EQ(g.OnRefusedWhole(OneRejected(), "HTTP 400: bad table", 400), IsolationGroup::Verdict::kConfigError);
  EXPECT_NE(g.Describe().find("HTTP 400: bad table"), std::string::npos) << g.Describe();
}

TEST(IsolationGroup, OneAcceptedRecordReleasesTheRejections) {
  IsolationGroup g(4);
  EXPECT_EQ(g.OnRefusedWhole(OneRejected(), "HTTP 400: x", 400), IsolationGroup::Verdict::kPending);
  EXPECT_EQ(g.OnOtherOutcome(2), IsolationGroup::Verdict::kPending);
  EXPECT_EQ(g.OnRefusedWhole(OneRejected(), "HTTP 400: x", 400), IsolationGroup::Verdict::kRelease);
  EXPECT_EQ(g.TakeHeld().size(), 2u);
}

TEST(IsolationGroup, DifferentAnswersAreBadDataNotConfiguration) {
  IsolationGroup g(4);
  EXPECT_EQ(g.OnRefusedWhole(OneRejected(), "HTTP 400: field a", 400), IsolationGroup::Verdict::kPending);
  EXPECT_EQ(g.OnRefusedWhole(OneRejected(), "HTTP 400: field b", 400), IsolationGroup::Verdict::kPending);
  EXPECT_EQ(g.OnRefusedWhole(OneRejected(), "HTTP 400: field a", 400), IsolationGroup::Verdict::kPending);
  EXPECT_EQ(g.OnRefusedWhole(OneRejected(), "HTTP 400: field a", 400), IsolationGroup::Verdict::kRelease);
}

TEST(IsolationGroup, SmallBatchesAreNotJudged) {
  IsolationGroup g(3);
  EXPECT_FALSE(g.judged());
  g.OnRefusedWhole(OneRejected(), "HTTP 400: x", 400);
  g.OnRefusedWhole(OneRejected(), "HTTP 400: x", 400);
  EXPECT_EQ(g.OnRefusedWhole(OneRejected(), "HTTP 400: x", 400), IsolationGroup::Verdict::kRelease);
}

TEST(SinkAvailability, WarnsOncePerKindThenAtMostEveryInterval) {
  using Clock = SinkAvailability::Clock;
  SinkAvailability a;
  const Clock::time_point t0 = Clock::now();
  const std::string first = a.Warn(t0, "network", "http://s/", "Connection refused", t0);
  EXPECT_EQ(first, "sink http://s/: Connection refused, retrying: 1 retry, oldest batch waiting 0.0 s");
  EXPECT_EQ(a.Warn(t0 + std::chrono::seconds(1), "network", "http://s/", "Connection refused", t0), "");
  EXPECT_NE(a.Warn(t0 + std::chrono::seconds(2), "HTTP 503", "http://s/", "HTTP 503: busy", t0), "") << "a new kind";
  const std::string later = a.Warn(t0 + std::chrono::seconds(12), "network", "http://s/", "Connection refused", t0);
  EXPECT_EQ(later, "sink http://s/: Connection refused, retrying: 4 retries, oldest batch waiting 12 s");
}

TEST(SinkAvailability, StopsOnlyAfterTheTimeoutWithoutAcknowledgement) {
  using Clock = SinkAvailability::Clock;
  SinkAvailability a(2000);
  const Clock::time_point t0 = Clock::now();
  EXPECT_TRUE(a.Tick(t0, true, "http://s/").ok());
  EXPECT_TRUE(a.Tick(t0 + std::chrono::milliseconds(1999), true, "http://s/").ok());
  a.OnAcknowledged(t0 + std::chrono::milliseconds(1999));
  EXPECT_TRUE(a.Tick(t0 + std::chrono::milliseconds(3000), true, "http://s/").ok()) << "the clock restarted";
  const Status s = a.Tick(t0 + std::chrono::milliseconds(4000), true, "http://s/");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("sink http://s/ acknowledged nothing"), std::string::npos) << s.message();
  EXPECT_TRUE(SinkAvailability().Tick(t0 + std::chrono::hours(1), true, "http://s/").ok()) << "0: no limit";
}

}  // namespace
}  // namespace sluice::stages
