// Unit tests for EndpointHealth: when an endpoint stops getting requests, how it is probed
// back, and the lines that name it.
#include "stages/http_sink/endpoint_health.h"

#include <gtest/gtest.h>

namespace sluice::stages {
namespace {

using Clock = EndpointHealth::Clock;
using Change = EndpointHealth::Change;
using Failure = EndpointHealth::Failure;
using std::chrono::milliseconds;

TEST(EndpointHealth, HealthyUntilThreeFailuresInARow) {
  EndpointHealth h;
  const auto now = Clock::now();
  EXPECT_EQ(h.OnFailure(Failure::kTimeout, false, now), Change::kNone);
  EXPECT_EQ(h.OnFailure(Failure::kTimeout, false, now), Change::kNone);
  EXPECT_TRUE(h.CanSend(now));
  EXPECT_EQ(h.OnFailure(Failure::kTimeout, false, now), Change::kBecameUnhealthy);
  EXPECT_FALSE(h.healthy());
  EXPECT_FALSE(h.CanSend(now));
  EXPECT_EQ(h.probe_at(), now + EndpointHealth::kFirstProbeInterval);
}

TEST(EndpointHealth, AnAnswerResetsTheCount) {
  EndpointHealth h;
  const auto now = Clock::now();
  (void)h.OnFailure(Failure::kConnection, false, now);
  (void)h.OnFailure(Failure::kConnection, false, now);
  EXPECT_EQ(h.OnAnswer(false), Change::kNone);  // a 503 is an answer too: alive
  EXPECT_EQ(h.OnFailure(Failure::kConnection, false, now), Change::kNone);
  EXPECT_TRUE(h.healthy());
}

TEST(EndpointHealth, OneProbeAtATimeWithGrowingCappedIntervals) {
  EndpointHealth h(milliseconds(5000));
  auto now = Clock::now();
  for (int i = 0; i < 3; ++i) (void)h.OnFailure(Failure::kTimeout, false, now);
  // Requests that were already out fail too: they neither extend the interval nor count.
  EXPECT_EQ(h.OnFailure(Failure::kTimeout, false, now), Change::kNone);
  EXPECT_EQ(h.probe_interval(), milliseconds(1000));
  std::vector<milliseconds> intervals;
  for (int probe = 0; probe < 5; ++probe) {
    EXPECT_FALSE(h.CanSend(h.probe_at() - milliseconds(1)));
    now = h.probe_at();
    ASSERT_TRUE(h.CanSend(now));
    ASSERT_TRUE(h.IsProbeDue());
    h.OnSent(true);
    EXPECT_FALSE(h.CanSend(now));  // the probe is out: nothing else goes
    EXPECT_FALSE(h.CanSend(now + milliseconds(100000)));
    EXPECT_EQ(h.OnFailure(Failure::kTimeout, true, now), Change::kProbeFailed);
    intervals.push_back(h.probe_interval());
  }
  EXPECT_EQ(intervals, (std::vector<milliseconds>{milliseconds(2000), milliseconds(4000), milliseconds(5000),
                                                  milliseconds(5000), milliseconds(5000)}));
  now = h.probe_at();
  ASSERT_TRUE(h.CanSend(now));
  h.OnSent(true);
  EXPECT_EQ(h.OnAnswer(true), Change::kBecameHealthy);
  EXPECT_TRUE(h.healthy());
  EXPECT_TRUE(h.CanSend(now));
  EXPECT_FALSE(h.IsProbeDue());
}

TEST(EndpointHealth, MessagesNameTheEndpointAndWhatHappened) {
  EndpointHealth h;
  const auto now = Clock::now();
  for (int i = 0; i < 3; ++i) (void)h.OnFailure(Failure::kTimeout, false, now);
  std::string m = HealthChangeMessage("http://127.0.0.1:9/x", h, Change::kBecameUnhealthy, 1);
  EXPECT_EQ(m, "sink endpoint http://127.0.0.1:9/x unhealthy after 3 timeouts, routing to the other 1; "
               "probing again in 1 s");
  m = HealthChangeMessage("http://127.0.0.1:9/x", h, Change::kBecameUnhealthy, 0);
  EXPECT_NE(m.find("no healthy endpoint left"), std::string::npos) << m;
  EXPECT_EQ(HealthChangeMessage("http://127.0.0.1:9/x", h, Change::kBecameHealthy, 1),
            "sink endpoint http://127.0.0.1:9/x healthy again");
}

}  // namespace
}  // namespace sluice::stages
