// SenderEventLoop's wakeup: a Wake() from another thread ends the loop's wait by itself (the
// eventfd is readable), not by the wait's timeout, and is consumed once. HttpSender::Submit and
// Stop rely on it so that a batch handed over while the loop is idle is picked up at once.
#include "stages/http_sink/sender_event_loop.h"

#include <gtest/gtest.h>

#include <thread>

namespace sluice::stages {
namespace {

TEST(SenderEventLoop, WakeFromAnotherThreadEndsTheWaitOnce) {
  SenderEventLoop loop;
  ASSERT_TRUE(loop.Init().ok());
  ASSERT_TRUE(loop.can_wake());
  EXPECT_FALSE(loop.Poll(0, nullptr)) << "nothing woke the loop yet";
  std::thread other([&] { loop.Wake(); });
  other.join();
  // A 60 s wait that returns woken can only have ended on the eventfd.
  EXPECT_TRUE(loop.Poll(60000, nullptr)) << "the wakeup from another thread was not seen";
  EXPECT_FALSE(loop.Poll(0, nullptr)) << "one wakeup is consumed by one wait";
}

TEST(SenderEventLoop, SeveralWakesBeforeAWaitEndItOnce) {
  SenderEventLoop loop;
  ASSERT_TRUE(loop.Init().ok());
  loop.Wake();
  loop.Wake();
  loop.Wake();
  EXPECT_TRUE(loop.Poll(60000, nullptr));
  EXPECT_FALSE(loop.Poll(0, nullptr));
}

TEST(SenderEventLoop, IdleTimeoutIsAtMostOneSecond) {
  const auto now = SenderEventLoop::Clock::now();
  EXPECT_EQ(SenderEventLoop::TimeoutMs(SenderEventLoop::Clock::time_point::max(), now), 1000);
  EXPECT_EQ(SenderEventLoop::TimeoutMs(now, now), 0);
  EXPECT_EQ(SenderEventLoop::TimeoutMs(now + std::chrono::microseconds(1500), now), 2);
}

}  // namespace
}  // namespace sluice::stages
