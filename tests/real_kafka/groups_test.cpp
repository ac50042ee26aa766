// Consumer groups on a real Apache Kafka broker (KRaft, one node): three `sluice run` processes
// in one group on a 12-partition topic of fake flights, each throttled with --rate-limit so that
// the faults land mid-run on a machine of any speed.
//  - sharing: every member reports 4 of the 12 partitions (sluice_partition_assigned on its
//    /metrics) and delivers, while the topic is far from done;
//  - SIGKILL of one member: once the coordinator evicted it, the two survivors report 6 each;
//  - a fourth member joins mid-run: 4 each again, and the new member delivers;
//  - the three live members get SIGTERM (a drained stop, exit 0) and a final
//    `--until-caught-up` run of the same group finishes the topic: every id at the sink
//    emulator, the committed offsets equal the end offsets, and the duplicates (re-delivery
//    after the SIGKILL, the only stop that cannot commit) stay within its in-flight window.
// Once with the eager `range` assignor and once with `cooperative-sticky`
// (-X partition.assignment.strategy). Waits are on conditions (the emulator's stats, the
// members' metrics), never fixed sleeps.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/integration_env.h"
#include "tests/real_kafka/scenario_env.h"
#include "tests/testing/run_report.h"
#include "tests/testing/sluice_metrics.h"

namespace sluice::realkafka {
namespace {

using testing::Subprocess;

[[maybe_unused]] ::testing::Environment* const kCluster =
    ::testing::AddGlobalTestEnvironment(new testing::KafkaClusterEnvironment(testing::KafkaClusterOptions{}));

constexpr uint64_t kCount = 150000;
constexpr int kPartitions = 12;
// Per member: three members deliver at most 3,000 records/s together, so the first fifth takes
// several seconds after the group formed and the SIGKILL and the join land mid-run.
constexpr int kRatePerMember = 1000;
constexpr int kInflight = 2000;  ///< --max-inflight-records of every member
constexpr int kCommitMs = 1000;  ///< sluice's default --commit-interval-ms
// A membership change takes a session timeout (6 s, the killed member) plus a rebalance.
constexpr auto kSettle = std::chrono::seconds(90);
// What the SIGKILLed member may have delivered without its offsets being committed: the records
// in flight plus what it delivered since its last commit (2 intervals: the commit on its way is
// not answered yet). Every other stop in the scenario drains and commits.
constexpr uint64_t kKillWindow = kInflight + 2ull * kRatePerMember * kCommitMs / 1000;

class RealGroups : public ScenarioSuite<RealGroups> {
 protected:
  std::unique_ptr<Subprocess> StartMember(const std::string& topic, const std::string& strategy,
                                          const std::string& report, bool throttled) {
    std::vector<std::string> extra = {"--report",
                                      report,
                                      "-X",
                                      testing::kShortSession,
                                      "-X",
                                      "partition.assignment.strategy=" + strategy,
                                      "--max-inflight-records",
                                      std::to_string(kInflight),
                                      "--linger-ms",
                                      "50"};
    if (throttled) {
      // Small fetches and a small prefetch queue: a throttled member holds little that a
      // rebalance has to drain or throw away.
      extra.insert(extra.end(),
                   {"--rate-limit", std::to_string(kRatePerMember) + "/s", "-X", "max.partition.fetch.bytes=32768",
                    "-X", "queued.min.messages=100", "-X", "queued.max.messages.kbytes=512"});
      const std::vector<std::string> metrics = testing::MetricsArgs();
      extra.insert(extra.end(), metrics.begin(), metrics.end());
    } else {
      extra.push_back("--until-caught-up");
    }
    std::string error;
    auto p =
        Subprocess::Start(MemberArgs(*emulator_, topic, cluster_->plaintext(), topic, "g-" + topic, extra), &error);
    EXPECT_NE(p, nullptr) << error;
    return p;
  }

  std::vector<int64_t> Committed(const std::string& topic) {
    std::string error;
    std::vector<int64_t> c = it::CommittedOffsets(cluster_->plaintext(), "g-" + topic, topic, kPartitions, &error);
    EXPECT_EQ(error, "");
    return c;
  }

  void RunScenario(const std::string& strategy, const std::string& tag);
};

void RealGroups::RunScenario(const std::string& strategy, const std::string& tag) {
  const std::string topic = "groups-" + tag;
  ASSERT_EQ(cluster_->CreateTopic(topic, kPartitions, 1), "");
  const testing::ProcessResult produced = testing::ProduceFlights(cluster_->plaintext(), topic, kCount, 1600);
  ASSERT_EQ(produced.exit_code, 0) << produced.all();
  const auto& emu = *emulator_;
  const auto t0 = std::chrono::steady_clock::now();
  std::string phases;  // when each step was reached, for the log
  auto mark = [&](const char* name) {
    phases +=
        std::string(" ") + name + " " +
        std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()).substr(0, 5) +
        " s;";
  };

  auto a = StartMember(topic, strategy, dir_ + "/a.json", true);
  auto b = StartMember(topic, strategy, dir_ + "/b.json", true);
  auto c = StartMember(topic, strategy, dir_ + "/c.json", true);
  ASSERT_TRUE(a && b && c);
  // Sharing: each member gets its third of the partitions (its own /metrics) and delivers.
  for (auto [m, name] : {std::pair{a.get(), "A"}, std::pair{b.get(), "B"}, std::pair{c.get(), "C"}}) {
    EXPECT_EQ(testing::WaitForAssignment(*m, topic, kPartitions / 3, kSettle), "") << "member " << name;
    EXPECT_TRUE(WaitFor([&] { return DeliveredSoFar(*m) > 0; }, kSettle)) << "member " << name << " delivered nothing\n"
                                                                          << m->StderrSoFar();
  }
  mark("shared");
  const uint64_t at_kill = emu.WaitForDistinctIds(topic, kCount / 5, kSettle);
  ASSERT_GE(at_kill, kCount / 5) << "the group did not deliver the first fifth";
  EXPECT_LT(at_kill, kCount / 2) << "half the topic was delivered before the SIGKILL; the rate limit did not hold";

  const int64_t b_delivered = DeliveredSoFar(*b);
  b->Signal(SIGKILL);
  const testing::ProcessResult rb = b->Wait(10000);
  EXPECT_EQ(rb.exit_code, 128 + SIGKILL);
  mark("kill");
  // The coordinator evicts B after its session timeout; A and C take over its partitions.
  for (auto [m, name] : {std::pair{a.get(), "A"}, std::pair{c.get(), "C"}}) {
    EXPECT_EQ(testing::WaitForAssignment(*m, topic, kPartitions / 2, kSettle), "")
        << "member " << name << " did not take over the killed member's partitions";
  }
  mark("takeover");
  const uint64_t at_join = emu.Stats(topic).distinct_ids;
  EXPECT_LT(at_join, kCount) << "the topic was finished before the fourth member joined";

  auto d = StartMember(topic, strategy, dir_ + "/d.json", true);
  ASSERT_TRUE(d);
  for (auto [m, name] : {std::pair{a.get(), "A"}, std::pair{c.get(), "C"}, std::pair{d.get(), "D"}}) {
    EXPECT_EQ(testing::WaitForAssignment(*m, topic, kPartitions / 3, kSettle), "")
        << "member " << name << " after the join";
  }
  EXPECT_TRUE(WaitFor([&] { return DeliveredSoFar(*d) > 0; }, kSettle)) << "the new member delivered nothing\n"
                                                                        << d->StderrSoFar();
  mark("joined");
  const uint64_t at_stop = emu.Stats(topic).distinct_ids;
  EXPECT_LT(at_stop, kCount) << "the topic was finished before the members were stopped";

  // The three live members stop draining (exit 0); the final bounded run finishes the topic
  // from the group's committed offsets.
  for (Subprocess* m : {a.get(), c.get(), d.get()}) m->Signal(SIGTERM);
  std::vector<testing::RunReport> reports;
  for (auto [m, name] : {std::pair{a.get(), "a"}, std::pair{c.get(), "c"}, std::pair{d.get(), "d"}}) {
    const testing::ProcessResult r = m->Wait(60000);
    EXPECT_FALSE(r.timed_out) << name;
    EXPECT_EQ(r.exit_code, 0) << "member " << name << " did not drain\n" << r.err;
    reports.push_back(testing::ParseReport(testing::ReadFileText(dir_ + "/" + name + ".json")));
    EXPECT_TRUE(reports.back().parsed) << name;
    EXPECT_GT(reports.back().delivered, 0) << "member " << name << " delivered nothing";
    EXPECT_EQ(reports.back().consumed, reports.back().delivered) << "member " << name << " left records behind";
  }
  mark("stopped");

  auto fin = StartMember(topic, strategy, dir_ + "/final.json", false);
  ASSERT_TRUE(fin);
  const testing::ProcessResult rf = fin->Wait(120000);
  EXPECT_EQ(rf.exit_code, 0) << rf.err;
  const testing::RunReport pf = testing::ParseReport(testing::ReadFileText(dir_ + "/final.json"));
  EXPECT_TRUE(pf.parsed);
  EXPECT_GT(pf.delivered, 0) << "the final run found nothing left: the members finished the topic";
  mark("final");

  const testing::SinkStats s = emu.Stats(topic);
  EXPECT_EQ(s.distinct_ids, kCount) << "ids missing at the sink";
  EXPECT_LE(s.duplicates, kKillWindow) << "more re-delivery than the killed member's in-flight window";
  std::string error;
  const std::vector<int64_t> ends = it::HighWatermarks(cluster_->plaintext(), topic, kPartitions, &error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(Committed(topic), ends) << "the group's committed offsets are not the end offsets";
  for (const std::string& out : {rf.all(), b->StderrSoFar()}) {
    EXPECT_EQ(out.find(kScenarioPassword), std::string::npos) << "the sink password leaked into output";
  }
  std::printf(
      "[ info ] groups %s: SIGKILL of B (it had delivered %lld) at %llu ids, join at %llu, stop at %llu; "
      "delivered A %lld, C %lld, D %lld, final run %lld; %llu distinct of %llu, %llu duplicates "
      "(bound %llu);%s\n",
      strategy.c_str(), static_cast<long long>(b_delivered), static_cast<unsigned long long>(at_kill),
      static_cast<unsigned long long>(at_join), static_cast<unsigned long long>(at_stop),
      static_cast<long long>(reports.size() > 0 ? reports[0].delivered : -1),
      static_cast<long long>(reports.size() > 1 ? reports[1].delivered : -1),
      static_cast<long long>(reports.size() > 2 ? reports[2].delivered : -1), static_cast<long long>(pf.delivered),
      static_cast<unsigned long long>(s.distinct_ids), static_cast<unsigned long long>(kCount),
      static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(kKillWindow), phases.c_str());
}

TEST_F(RealGroups, RangeAssignmentSurvivesAKillAndAJoin) { RunScenario("range", "range"); }

TEST_F(RealGroups, CooperativeStickyAssignmentSurvivesAKillAndAJoin) { RunScenario("cooperative-sticky", "coop"); }

}  // namespace
}  // namespace sluice::realkafka
