// Consumer-group behaviour of KafkaSource (commit, restart, rebalance) against librdkafka's
// in-process mock cluster. Separate binary from kafka_source_test: each group join costs ~3 s.
#include <cstdio>
#include <map>
#include <thread>
#include <set>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/kafka_source/kafka_test_util.h"

namespace sluice::stages {
namespace {

using namespace test;  // NOLINT: test-local helpers
using Clock = std::chrono::steady_clock;

/// What a run of `group` leaves behind when it acknowledged the records of partition 0 of
/// `topic` below `store_at`: one member joins, reads `count` records, stores `store_at` (in its
/// assignment's generation plus `generation_ahead`) and closes. Call under
/// ASSERT_NO_FATAL_FAILURE.
void ReadStoreAndClose(const std::string& topic, const std::string& group, size_t count, int64_t store_at,
                       uint32_t generation_ahead = 0) {
  auto first = MustCreate(TestConfig(topic, group));
  ASSERT_TRUE(first->Start(nullptr).ok());
  std::vector<Got> got = PollUntil(*first, count);
  ASSERT_EQ(got.size(), count);
  ASSERT_TRUE(first->Store({{got[0].position.stream, got[0].position.generation + generation_ahead, store_at}}).ok());
  ASSERT_TRUE(first->Close().ok());
}

std::vector<int64_t> Offsets(const std::vector<Got>& got) {
  std::vector<int64_t> offsets;
  for (const Got& g : got) offsets.push_back(g.position.offset);
  return offsets;
}

/// The (partition, offset) pairs of every record in `lists`.
std::set<std::pair<int32_t, int64_t>> Positions(std::initializer_list<const std::vector<Got>*> lists) {
  std::set<std::pair<int32_t, int64_t>> seen;
  for (const std::vector<Got>* got : lists) {
    for (const Got& g : *got) seen.insert({g.partition, g.position.offset});
  }
  return seen;
}

TEST(KafkaSource, UntilCaughtUpTreatsFullyCommittedPartitionAsDone) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("committed", 1);
  ProduceValues("committed", 0, 0, 4);
  ASSERT_NO_FATAL_FAILURE(ReadStoreAndClose("committed", "g-committed", 4, /*store_at=*/4));
  KafkaSourceConfig c = TestConfig("committed", "g-committed");
  c.until_caught_up = true;
  auto second = MustCreate(c);
  ASSERT_TRUE(second->Start(nullptr).ok());
  std::vector<Got> got;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!second->Exhausted() && Clock::now() < deadline) PollInto(*second, got);
  EXPECT_TRUE(second->Exhausted());
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(second->Close().ok());
}

TEST(KafkaSource, StoreAndCloseResumeExactlyAtStoredOffset) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("resume", 1);
  ProduceValues("resume", 0, 0, 10);
  ASSERT_NO_FATAL_FAILURE(ReadStoreAndClose("resume", "g-resume", 10, /*store_at=*/6));
  auto second = MustCreate(TestConfig("resume", "g-resume"));
  ASSERT_TRUE(second->Start(nullptr).ok());
  std::vector<Got> got = PollUntil(*second, 4);
  // Give a little extra time for anything unexpected (an offset below 6) to show up.
  for (int i = 0; i < 5; ++i) PollInto(*second, got);
  EXPECT_THAT(Offsets(got), ::testing::ElementsAre(6, 7, 8, 9));
  EXPECT_TRUE(second->Close().ok());
}

TEST(KafkaSource, UnstoredAndStaleRecordsAreRedeliveredAfterRestart) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("redeliver", 1);
  ProduceValues("redeliver", 0, 0, 5);
  // A point from another generation than the member's is ignored: it must not move the
  // committed offset.
  ASSERT_NO_FATAL_FAILURE(ReadStoreAndClose("redeliver", "g-redeliver", 5, /*store_at=*/3, /*generation_ahead=*/1));
  auto second = MustCreate(TestConfig("redeliver", "g-redeliver"));
  ASSERT_TRUE(second->Start(nullptr).ok());
  std::vector<Got> got = PollUntil(*second, 5);
  EXPECT_THAT(Offsets(got), ::testing::ElementsAre(0, 1, 2, 3, 4));
  EXPECT_TRUE(second->Close().ok());
}

// A second instance joins; cooperative-sticky moves two of A's four partitions to B. A's revoke
// handler commits the points its listener acknowledged (offset 3); B must start the moved
// partitions there. On a loaded machine the revoke commit can be refused (the mock cluster
// answers a follower's late SyncGroup with INVALID_REQUEST, that member rejoins at once, and the
// group is rebalancing again when A's commit arrives: REBALANCE_IN_PROGRESS); A then commits the
// points right after the rebalance, and B may have read the older committed offset first, so it
// re-reads from there (at-least-once). Either way the acknowledged offsets end up committed and
// B reads every record from them on.
TEST(KafkaSource, TwoInstancesSplitPartitionsAndRevokeCommitsListenerPoints) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("split", 4);
  for (int p = 0; p < 4; ++p) ProduceValues("split", p, 0, 5);

  RecordingListener listener_a;
  auto a = MustCreate(TestConfig("split", "g-split"));
  ASSERT_TRUE(a->Start(&listener_a).ok());
  std::vector<Got> got_a = PollUntil(*a, 20);
  ASSERT_EQ(got_a.size(), 20u);
  ASSERT_EQ(a->AssignedStreams().size(), 4u);
  // When a stream is revoked, A's pipeline "acknowledged" its first 3 records.
  for (const Got& g : got_a) listener_a.commit_at[g.position.stream] = {g.position.stream, g.position.generation, 3};

  RecordingListener listener_b;
  auto b = MustCreate(TestConfig("split", "g-split"));
  ASSERT_TRUE(b->Start(&listener_b).ok());
  std::vector<Got> got_b;
  // Done when each side owns two partitions, B read the last record (offset 4) of both of its
  // partitions and no revoke commit of A is still waiting to be retried.
  auto settled = [&] {
    if (a->AssignedStreams().size() != 2 || b->AssignedStreams().size() != 2) return false;
    if (a->RevokeCommits().pending != 0) return false;
    for (uint32_t s : b->AssignedStreams()) {
      const int32_t p = b->DescribeStream(s).partition;
      bool last = false;
      for (const Got& g : got_b) last = last || (g.partition == p && g.position.offset == 4);
      if (!last) return false;
    }
    return true;
  };
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (!settled() && Clock::now() < deadline) {
    PollInto(*a, got_a, 50);
    PollInto(*b, got_b, 50);
  }
  // A little extra time for anything unexpected (a record read twice, a further rebalance).
  for (int i = 0; i < 5; ++i) {
    PollInto(*a, got_a, 50);
    PollInto(*b, got_b, 50);
  }
  ASSERT_EQ(a->AssignedStreams().size(), 2u);
  ASSERT_EQ(b->AssignedStreams().size(), 2u);
  ASSERT_EQ(listener_a.revoked.size(), 2u) << "cooperative: only the moved partitions are revoked";
  std::set<int32_t> partitions;
  for (uint32_t s : a->AssignedStreams()) partitions.insert(a->DescribeStream(s).partition);
  std::set<int32_t> moved;
  for (uint32_t s : listener_a.revoked) moved.insert(a->DescribeStream(s).partition);
  for (uint32_t s : b->AssignedStreams()) {
    int32_t p = b->DescribeStream(s).partition;
    EXPECT_TRUE(partitions.insert(p).second) << "partition " << p << " owned twice";
    EXPECT_TRUE(moved.count(p)) << "B got a partition A was not asked to give up";
  }
  EXPECT_EQ(partitions.size(), 4u);

  // The acknowledged points of the revoked partitions are the group's committed offsets (B
  // stores nothing, so nothing else can have moved them).
  const KafkaSource::RevokeCommitStats revoke = a->RevokeCommits();
  EXPECT_EQ(revoke.pending, 0u) << "revoke commits still not accepted";
  const std::map<int32_t, int64_t> committed = CommittedOffsets("g-split", "split", moved);
  for (int32_t p : moved) EXPECT_EQ(committed.count(p) ? committed.at(p) : -2, 3) << "partition " << p;

  // B resumes the moved partitions from the committed point and loses nothing: it reads 3 and 4
  // exactly once each, in order. When A's revoke commit had to wait for the rebalance, B may have
  // fetched the older committed offset (none: it starts at 0) and re-read 0..2 first.
  std::map<int32_t, std::vector<int64_t>> offsets_b;
  for (const Got& g : got_b) offsets_b[g.partition].push_back(g.position.offset);
  for (int32_t p : moved) {
    if (revoke.deferred == 0) {
      EXPECT_THAT(offsets_b[p], ::testing::ElementsAre(3, 4)) << "partition " << p;
    } else {
      EXPECT_THAT(offsets_b[p], ::testing::AnyOf(::testing::ElementsAre(3, 4), ::testing::ElementsAre(0, 1, 2, 3, 4)))
          << "partition " << p << " (revoke commit retried after the rebalance)";
    }
  }
  if (revoke.deferred != 0) {
    std::printf("[ info ] %llu revoke commit(s) were refused inside the rebalance callback and committed after it\n",
                static_cast<unsigned long long>(revoke.deferred));
  }
  EXPECT_TRUE(listener_b.revoked.empty());
  EXPECT_TRUE(a->Close().ok());
  EXPECT_TRUE(b->Close().ok());
}

// librdkafka 2.0.2 aborts in rd_kafka_destroy when a cooperative-sticky member joined the group
// but never got its first assignment (issue #4312). Failed SyncGroups keep the member in exactly
// that state (each one makes it rejoin), so a Close then must neither abort the process nor hang.
TEST(KafkaSource, ClosingBeforeTheFirstAssignmentDoesNotAbort) {
  sluice::testing::MockCluster cluster;  // its own: the pushed errors must not reach other tests
  cluster.CreateTopic("forming", 2);
  KafkaSourceConfig c = TestConfig("forming", "g-forming");
  c.brokers = cluster.bootstraps();
  c.query_timeout_ms = 3000;
  constexpr int16_t kSyncGroup = 14;
  cluster.PushRequestErrors(kSyncGroup, std::vector<rd_kafka_resp_err_t>(40, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS));
  RecordingListener listener;
  auto source = MustCreate(c);
  ASSERT_TRUE(source->Start(&listener).ok());
  // Past the mock's 3 s initial join delay: joined (the assignor is chosen), every SyncGroup refused.
  std::vector<Got> got;
  const auto until = Clock::now() + std::chrono::milliseconds(4500);
  while (Clock::now() < until) PollInto(*source, got, 100);
  EXPECT_TRUE(source->AssignedStreams().empty()) << "the SyncGroup errors did not keep the member unassigned";
  Status closed = source->Close();  // before the fix: SIGABRT in rdkafka_sticky_assignor.c
  std::printf("[ info ] close before the first assignment: %s\n", closed.ToString().c_str());
  SUCCEED() << "the process is still alive";
}

// Backpressure: a paused source hands over no record, yet still serves the group (a member that
// joins meanwhile gets its share without waiting for the pause to end), and after the resume
// every record arrives: nothing the paused member had prefetched is lost.
TEST(KafkaSource, PausedSourceServesARebalanceAndLosesNothingOnResume) {
  auto& mc = sluice::testing::SharedMockCluster();
  constexpr int kPartitions = 4;
  constexpr int kPerPartition = 300;
  mc.CreateTopic("paused", kPartitions);
  for (int p = 0; p < kPartitions; ++p) ProduceValues("paused", p, 0, kPerPartition);

  auto a = MustCreate(TestConfig("paused", "g-paused"));
  ASSERT_TRUE(a->Start(nullptr).ok());
  std::vector<Got> got_a = PollUntil(*a, 50);
  ASSERT_GE(got_a.size(), 50u);
  ASSERT_EQ(a->AssignedStreams().size(), static_cast<size_t>(kPartitions));
  a->SetPaused(true);
  const size_t before_pause = got_a.size();
  // Let librdkafka prefetch everything it wants meanwhile: still nothing is handed over.
  for (int i = 0; i < 10; ++i) PollInto(*a, got_a, 50);
  EXPECT_EQ(got_a.size(), before_pause) << "a paused source handed over records";

  auto b = MustCreate(TestConfig("paused", "g-paused"));
  ASSERT_TRUE(b->Start(nullptr).ok());
  std::vector<Got> got_b;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline && (b->AssignedStreams().empty() || a->AssignedStreams().size() == kPartitions)) {
    PollInto(*a, got_a, 20);
    PollInto(*b, got_b, 20);
  }
  EXPECT_EQ(got_a.size(), before_pause) << "records handed over while paused, during the rebalance";
  ASSERT_FALSE(b->AssignedStreams().empty()) << "the paused member did not let the group rebalance";
  EXPECT_EQ(a->AssignedStreams().size() + b->AssignedStreams().size(), static_cast<size_t>(kPartitions));

  a->SetPaused(false);
  std::set<std::pair<int32_t, int64_t>> seen;
  deadline = Clock::now() + std::chrono::seconds(30);
  while (seen.size() < kPartitions * kPerPartition && Clock::now() < deadline) {
    PollInto(*a, got_a, 20);
    PollInto(*b, got_b, 20);
    seen = Positions({&got_a, &got_b});
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPartitions * kPerPartition)) << "records lost across pause and rebalance";
  // Per partition and member, records come in offset order (the resume does not rewind).
  for (const std::vector<Got>* got : {&got_a, &got_b}) {
    std::map<int32_t, int64_t> last;
    for (const Got& g : *got) {
      auto [it, fresh] = last.emplace(g.partition, g.position.offset);
      if (!fresh) {
        EXPECT_GT(g.position.offset, it->second) << "partition " << g.partition << " went back";
        it->second = g.position.offset;
      }
    }
  }
  EXPECT_TRUE(b->Close().ok());
  EXPECT_TRUE(a->Close().ok());
}

// A member whose assignment is lost (here: it stopped polling past max.poll.interval.ms, so
// librdkafka left the group for it) has no partition until the group assigns them again. An
// --until-caught-up run must not take that gap for "caught up" and stop with records unread.
TEST(KafkaSource, UntilCaughtUpIsNotDoneWhileALostAssignmentAwaitsItsReplacement) {
  auto& mc = sluice::testing::SharedMockCluster();
  constexpr int kPartitions = 2;
  constexpr int kPerPartition = 200;
  mc.CreateTopic("lost", kPartitions);
  for (int p = 0; p < kPartitions; ++p) ProduceValues("lost", p, 0, kPerPartition);

  KafkaSourceConfig c = TestConfig("lost", "g-lost");
  c.until_caught_up = true;
  c.properties.push_back({"session.timeout.ms", "6000"});
  c.properties.push_back({"max.poll.interval.ms", "6000"});
  auto source = MustCreate(c);
  ASSERT_TRUE(source->Start(nullptr).ok());
  std::vector<Got> got;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (source->AssignedStreams().size() < kPartitions && Clock::now() < deadline) PollInto(*source, got, 20);
  ASSERT_EQ(source->AssignedStreams().size(), static_cast<size_t>(kPartitions));
  // Nothing is stored, so the whole topic is read again after the new assignment.
  // The fault under test is "this member did not poll for longer than max.poll.interval.ms"
  // (6 s above): not polling for that long is the only way to cause it, so this sleep is the
  // fault itself, not a wait for readiness. librdkafka checks the interval on its own threads
  // and leaves the group; the loop below then sees the assignment gone (saw_unassigned, asserted).
  std::this_thread::sleep_for(std::chrono::milliseconds(7000));

  bool saw_unassigned = false;
  deadline = Clock::now() + std::chrono::seconds(30);
  while (!source->Exhausted() && Clock::now() < deadline) {
    PollInto(*source, got, 20);
    if (source->AssignedStreams().empty()) saw_unassigned = true;
  }
  ASSERT_TRUE(saw_unassigned) << "the assignment was never lost: the test did not test anything";
  ASSERT_TRUE(source->Exhausted());
  EXPECT_EQ(Positions({&got}).size(), static_cast<size_t>(kPartitions * kPerPartition))
      << "the run stopped with records unread";
  EXPECT_TRUE(source->Close().ok());
}

}  // namespace
}  // namespace sluice::stages
