#include "engine/ack_tracker.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

RecordChunk ChunkOf(uint32_t stream, int64_t first, int64_t last, uint32_t generation = 0) {
  RecordChunk c;
  for (int64_t o = first; o <= last; ++o) c.AddInput("x", SourcePosition{stream, generation, o});
  c.FinishInput();
  return c;
}

TEST(AckTracker, CommitsOnlyTheAcknowledgedPrefix) {
  AckTracker t;
  t.Register(ChunkOf(0, 10, 14));
  EXPECT_EQ(t.InFlight(), 5u);
  EXPECT_TRUE(t.Acknowledge({0, 0, 12}));
  EXPECT_TRUE(t.Acknowledge({0, 0, 14}));
  EXPECT_TRUE(t.TakeAdvanced().empty());
  for (int64_t o : {10, 11, 13}) EXPECT_TRUE(t.Acknowledge({0, 0, o}));
  auto points = t.TakeAdvanced();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].next_offset, 15);
  EXPECT_EQ(t.InFlight(), 0u);
}

TEST(AckTracker, LaterSegmentWaitsForEarlierOne) {
  AckTracker t;
  t.Register(ChunkOf(3, 0, 1));
  t.Register(ChunkOf(3, 2, 3));
  EXPECT_TRUE(t.Acknowledge({3, 0, 2}));
  EXPECT_TRUE(t.Acknowledge({3, 0, 3}));
  EXPECT_TRUE(t.TakeAdvanced().empty()) << "offsets 0..1 are not acknowledged yet";
  EXPECT_TRUE(t.Acknowledge({3, 0, 0}));
  EXPECT_TRUE(t.TakeAdvanced().empty());
  EXPECT_TRUE(t.Acknowledge({3, 0, 1}));
  auto points = t.TakeAdvanced();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].next_offset, 4);
}

TEST(AckTracker, HandlesGapsInOffsets) {
  AckTracker t;
  RecordChunk c;
  for (int64_t o : {5, 9, 20}) c.AddInput("x", SourcePosition{1, 0, o});
  c.FinishInput();
  t.Register(c);
  EXPECT_FALSE(t.Acknowledge({1, 0, 4}));
  EXPECT_TRUE(t.Acknowledge({1, 0, 20}));
  EXPECT_TRUE(t.Acknowledge({1, 0, 5}));
  EXPECT_TRUE(t.Acknowledge({1, 0, 9}));
  auto points = t.TakeAdvanced();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].next_offset, 21);
}

TEST(AckTracker, IgnoresAcksOfAnOlderGeneration) {
  AckTracker t;
  t.Register(ChunkOf(0, 0, 4, /*generation=*/1));
  t.Register(ChunkOf(0, 3, 4, /*generation=*/2));  // reassigned, re-read from 3
  EXPECT_EQ(t.InFlight(), 2u);
  EXPECT_FALSE(t.Acknowledge({0, 1, 3}));
  EXPECT_TRUE(t.Acknowledge({0, 2, 3}));
  EXPECT_TRUE(t.Acknowledge({0, 2, 4}));
  auto points = t.TakeAdvanced();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].generation, 2u);
  EXPECT_EQ(points[0].next_offset, 5);
}

TEST(AckTracker, ForgetDropsInFlightOfTheStream) {
  AckTracker t;
  t.Register(ChunkOf(0, 0, 9));
  t.Register(ChunkOf(1, 0, 9));
  t.Register(ChunkOf(0, 10, 19));
  for (int64_t o = 0; o < 10; ++o) EXPECT_TRUE(t.Acknowledge({0, 0, o}));
  EXPECT_TRUE(t.Acknowledge({0, 0, 10}));
  auto points = t.CommitPointsOf({0, 1});
  ASSERT_EQ(points.size(), 1u) << "stream 1 has nothing acknowledged";
  EXPECT_EQ(points[0].next_offset, 10) << "commit points move a whole segment (chunk) at a time";
  t.Forget(0);
  EXPECT_EQ(t.InFlight(), 10u);
  EXPECT_FALSE(t.Acknowledge({0, 0, 11}));
}

}  // namespace
}  // namespace sluice
