// Broker failover on a real Apache Kafka cluster: three KRaft nodes, a topic of 8 partitions
// with replication factor 3 and min.insync.replicas=2, node 1 the leader of half of them
// (partitions 0-3; CreateTopicWithLeaders). `sluice run --until-caught-up` reads 200,000 fake
// flights, throttled with --rate-limit so the fault lands mid-run. Once a fifth has arrived at
// the sink, node 1 is stopped: leadership of its partitions must move to the other two (every
// partition led elsewhere with 2 in-sync replicas), delivery must go on while it is down, and
// it stays down at least 10 s before it is started again. The run must complete (exit 0) with
// every id at the sink emulator and the group's committed offsets at the end offsets.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/integration/integration_env.h"
#include "tests/real_kafka/broker_admin.h"
#include "tests/real_kafka/scenario_env.h"
#include "tests/testing/run_report.h"

namespace sluice::realkafka {
namespace {

using Clock = std::chrono::steady_clock;

testing::KafkaClusterOptions ThreeNodes() {
  testing::KafkaClusterOptions o;
  o.nodes = 3;
  o.min_isr = 2;
  return o;
}
[[maybe_unused]] ::testing::Environment* const kCluster =
    ::testing::AddGlobalTestEnvironment(new testing::KafkaClusterEnvironment(ThreeNodes()));

constexpr uint64_t kCount = 200000;
constexpr int kPartitions = 8;
constexpr int kStoppedNode = 1;
// The outage: the stopped leader stays away at least this long.
constexpr auto kOutage = std::chrono::seconds(10);
constexpr auto kSettle = std::chrono::seconds(90);

class RealFailover : public ScenarioSuite<RealFailover> {};

TEST_F(RealFailover, StoppingTheLeaderOfHalfThePartitionsLosesNothing) {
  const std::string topic = "failover";
  const std::string bootstrap = cluster_->plaintext();
  ASSERT_EQ(
      CreateTopicWithLeaders(bootstrap, topic, {1, 1, 1, 1, 2, 3, 2, 3}, {1, 2, 3}, {{"min.insync.replicas", "2"}}),
      "");
  const testing::ProcessResult produced = testing::ProduceFlights(bootstrap, topic, kCount, 2700);
  ASSERT_EQ(produced.exit_code, 0) << produced.all();

  const std::string report = dir_ + "/failover.json";
  std::string error;
  auto run = testing::Subprocess::Start(MemberArgs(*emulator_, topic, bootstrap, topic, "g-" + topic,
                                                   {"--until-caught-up", "--report", report, "--rate-limit", "5000/s"}),
                                        &error);
  ASSERT_NE(run, nullptr) << error;
  const uint64_t at_stop = emulator_->WaitForDistinctIds(topic, kCount / 5, kSettle);
  ASSERT_GE(at_stop, kCount / 5) << run->StderrSoFar();

  std::string state_error;
  const std::vector<PartitionState> before = PartitionLeaders(bootstrap, topic, &state_error);
  ASSERT_EQ(state_error, "");
  int led = 0;
  for (const PartitionState& p : before) led += p.leader == kStoppedNode ? 1 : 0;
  EXPECT_EQ(led, kPartitions / 2) << "node 1 should lead half the partitions";

  const auto stopped_at = Clock::now();
  ASSERT_EQ(cluster_->StopNode(kStoppedNode), "");
  // Leadership moves to the surviving replicas; with 2 of 3 in sync, writes with acks=all and
  // min.insync.replicas=2 would still be accepted.
  EXPECT_EQ(WaitForLeaders(bootstrap, topic, kStoppedNode, 2, kSettle), "");
  const uint64_t at_moved = emulator_->Stats(topic).distinct_ids;
  // Delivery goes on while the node is down, and the outage lasts at least kOutage.
  EXPECT_TRUE(WaitFor(
      [&] {
        return Clock::now() - stopped_at >= kOutage && emulator_->Stats(topic).distinct_ids >= at_moved + kCount / 20;
      },
      kSettle))
      << "delivery stalled while node 1 was down\n"
      << run->StderrSoFar();
  const uint64_t at_restart = emulator_->Stats(topic).distinct_ids;
  const double outage_s = std::chrono::duration<double>(Clock::now() - stopped_at).count();
  EXPECT_LT(at_restart, kCount) << "the run finished during the outage; the restart was not tested";
  ASSERT_EQ(cluster_->StartNode(kStoppedNode), "");

  const testing::ProcessResult r = run->Wait(300000);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 4000);
  const testing::RunReport rep = testing::ParseReport(testing::ReadFileText(report));
  EXPECT_TRUE(rep.parsed);
  EXPECT_GE(rep.delivered, static_cast<int64_t>(kCount));
  const testing::SinkStats s = emulator_->Stats(topic);
  EXPECT_EQ(s.distinct_ids, kCount) << "ids missing at the sink";
  const std::vector<int64_t> committed = it::CommittedOffsets(bootstrap, "g-" + topic, topic, kPartitions, &error);
  ASSERT_EQ(error, "");
  const std::vector<int64_t> ends = it::HighWatermarks(bootstrap, topic, kPartitions, &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(committed, ends) << "committed offsets are not the end offsets";
  EXPECT_EQ(r.all().find(kScenarioPassword), std::string::npos) << "the sink password leaked into output";
  std::printf(
      "[ info ] failover: node 1 (leader of %d of %d partitions) stopped at %llu ids, leaders moved at %llu, "
      "restarted after %.1f s at %llu ids; exit %d, delivered %lld, %llu distinct of %llu, %llu duplicates\n",
      led, kPartitions, static_cast<unsigned long long>(at_stop), static_cast<unsigned long long>(at_moved), outage_s,
      static_cast<unsigned long long>(at_restart), r.exit_code, static_cast<long long>(rep.delivered),
      static_cast<unsigned long long>(s.distinct_ids), static_cast<unsigned long long>(kCount),
      static_cast<unsigned long long>(s.duplicates));
}

}  // namespace
}  // namespace sluice::realkafka
