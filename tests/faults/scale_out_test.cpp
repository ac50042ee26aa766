// Scale-out, real executables over TCP: two `sluice run` processes in one consumer group over a
// topic of 100,000 fake flights on 8 partitions, both streaming (no --until-caught-up). A
// watcher polls the sink emulator's stats until every id arrived and then stops both with
// SIGTERM. Second scenario: one of the two gets SIGTERM mid-run and drains; the other takes
// over its partitions (cooperative-sticky) and the union at the sink is still complete.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

#include "tests/faults/fault_env.h"
#include "tests/testing/sluice_metrics.h"

namespace sluice::faults {
namespace {

constexpr uint64_t kCount = 100000;
constexpr int kPartitions = 8;
const char* const kTopic = "flights-scale";

class ScaleOut : public FaultSuite<ScaleOut> {
 public:
  static void SetUpTestSuite() {
    StartShared(FaultSetup(1).Topic(kTopic, kPartitions).Flights(kCount, 4100));
  }
  // RunTwoMembers() below drives the fixture from outside.
  using FaultSuite::dir_;
  using FaultSuite::emulator_;

  std::unique_ptr<testing::Subprocess> StartMember(const std::string& sink, const std::string& group,
                                                   const std::string& report, const std::vector<std::string>& extra) {
    testing::ProcessOptions o = SluiceKafkaRun(*emulator_, sink, kafka_->bootstrap(), kTopic, group);
    o.argv.insert(o.argv.end(), {"--report", report});
    o.argv.insert(o.argv.end(), extra.begin(), extra.end());
    std::string error;
    auto p = testing::Subprocess::Start(o, &error);
    EXPECT_NE(p, nullptr) << error;
    return p;
  }

  /// Polls the sink until `target` distinct ids arrived (or the deadline); returns the last count.
  uint64_t WaitForIds(const std::string& sink, uint64_t target, int seconds) {
    return emulator_->WaitForDistinctIds(sink, target, std::chrono::seconds(seconds), std::chrono::milliseconds(50));
  }
};

// The takeover tests stop the second member only once it reports every partition (its
// sluice_partition_assigned samples on --metrics-addr), so that they observe a takeover rather than a
// stop in the middle of the rebalance (StoppingBothMembersAtOnceExitsZero covers stopping both
// together). Generous: the group rebalances within seconds, sluice's statistics refresh every 5 s.
constexpr auto kTakeoverTimeout = std::chrono::seconds(60);

/// Both members of one group over the whole topic; returns their reports. `together`: SIGTERM
/// both at once, else A first, then B once A is gone and the group settled.
void RunTwoMembers(ScaleOut* t, const std::string& sink, bool together, RunReport* pa, RunReport* pb) {
  auto a = t->StartMember(sink, "g-" + sink, t->dir_ + "/a.json", {});
  auto b = t->StartMember(sink, "g-" + sink, t->dir_ + "/b.json", testing::MetricsArgs());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(t->WaitForIds(sink, kCount, 90), kCount) << "the group did not deliver every id";
  a->Signal(SIGTERM);
  if (together) b->Signal(SIGTERM);
  testing::ProcessResult ra = a->Wait(40000);
  if (!together) {
    EXPECT_EQ(testing::WaitForAssignment(*b, kTopic, kPartitions, kTakeoverTimeout), "")
        << "B did not take over A's partitions\n" << b->StderrSoFar();
    b->Signal(SIGTERM);
  }
  testing::ProcessResult rb = b->Wait(40000);
  EXPECT_EQ(ra.exit_code, 0) << ra.err;
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
  *pa = ParseReport(ReadFileText(t->dir_ + "/a.json"));
  *pb = ParseReport(ReadFileText(t->dir_ + "/b.json"));
  ASSERT_TRUE(pa->parsed && pb->parsed);
  EXPECT_GT(pa->delivered, 0) << "member A got no partitions";
  EXPECT_GT(pb->delivered, 0) << "member B got no partitions";
  SinkStats s = t->emulator_->Stats(sink);
  EXPECT_EQ(s.distinct_ids, kCount);
  EXPECT_GE(static_cast<uint64_t>(pa->delivered + pb->delivered), kCount);
  std::printf("[ info ] scale-out: A delivered %lld, B delivered %lld, union %llu distinct, %llu duplicates\n",
              static_cast<long long>(pa->delivered), static_cast<long long>(pb->delivered),
              static_cast<unsigned long long>(s.distinct_ids), static_cast<unsigned long long>(s.duplicates));
  PrintTableLine("scale-out A", kCount, s, *pa);
  PrintTableLine("scale-out B", kCount, s, *pb);
}

TEST_F(ScaleOut, TwoProcessesInOneGroupShareTheTopicAndDeliverTheUnion) {
  RunReport pa, pb;
  RunTwoMembers(this, "scale2", false, &pa, &pb);
}

// Stopping every member at once (redeploying all replicas): each final commit may meet the
// rebalance the other's departure started; KafkaSource::Close retries it and treats partitions
// that moved meanwhile as re-delivery, so both exit 0.
TEST_F(ScaleOut, StoppingBothMembersAtOnceExitsZero) {
  RunReport pa, pb;
  RunTwoMembers(this, "scale-both", true, &pa, &pb);
}

TEST_F(ScaleOut, SigtermOnOneMemberHandsItsPartitionsToTheOther) {
  const std::string sink = "drain";
  // A small prefetch queue and in-flight bound: when A gets SIGTERM it holds only a few
  // thousand of its ~50,000 records, so B must take over A's partitions to finish the topic.
  // The rate limit (per member) keeps the run longer than the wait for the first fifth on a
  // machine of any speed: the SIGTERM lands mid-run.
  const std::vector<std::string> small = {"--max-inflight-records", "4000", "--linger-ms", "50",
                                          "--rate-limit", "10000/s", "-X",
                                          "queued.max.messages.kbytes=512", "-X", "queued.min.messages=100"};
  auto a = StartMember(sink, "g-drain", dir_ + "/a.json", small);
  std::vector<std::string> small_with_metrics = small;
  const std::vector<std::string> metrics = testing::MetricsArgs();
  small_with_metrics.insert(small_with_metrics.end(), metrics.begin(), metrics.end());
  auto b = StartMember(sink, "g-drain", dir_ + "/b.json", small_with_metrics);
  ASSERT_TRUE(a && b);
  const uint64_t at_signal = WaitForIds(sink, kCount / 5, 60);
  ASSERT_GE(at_signal, kCount / 5);
  EXPECT_LT(at_signal, kCount) << "everything was delivered before the SIGTERM; nothing was tested";
  a->Signal(SIGTERM);
  testing::ProcessResult ra = a->Wait(40000);
  EXPECT_FALSE(ra.timed_out);
  EXPECT_EQ(ra.exit_code, 0) << "a drained SIGTERM should exit 0\n" << ra.err;
  RunReport pa = ParseReport(ReadFileText(dir_ + "/a.json"));
  EXPECT_TRUE(pa.parsed);
  EXPECT_GT(pa.delivered, 0);
  EXPECT_EQ(pa.consumed, pa.delivered) << "A stopped with records consumed but not delivered";
  EXPECT_LT(static_cast<uint64_t>(pa.delivered), kCount / 2) << "A delivered its whole share; no takeover tested";
  EXPECT_EQ(WaitForIds(sink, kCount, 90), kCount) << "B did not take over A's partitions\n" << b->StderrSoFar();
  EXPECT_EQ(testing::WaitForAssignment(*b, kTopic, kPartitions, kTakeoverTimeout), "") << b->StderrSoFar();
  b->Signal(SIGTERM);
  testing::ProcessResult rb = b->Wait(40000);
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
  RunReport pb = ParseReport(ReadFileText(dir_ + "/b.json"));
  EXPECT_TRUE(pb.parsed);
  EXPECT_GT(static_cast<uint64_t>(pb.delivered), kCount / 2) << "B should have delivered its share and A's rest";
  SinkStats s = emulator_->Stats(sink);
  EXPECT_EQ(s.distinct_ids, kCount);
  std::printf("[ info ] drain: SIGTERM at %llu ids; A delivered %lld, B delivered %lld, %llu duplicates\n",
              static_cast<unsigned long long>(at_signal), static_cast<long long>(pa.delivered),
              static_cast<long long>(pb.delivered), static_cast<unsigned long long>(s.duplicates));
  PrintTableLine("drain A (SIGTERM)", kCount, s, pa);
  PrintTableLine("drain B (takes over)", kCount, s, pb);
}

}  // namespace
}  // namespace sluice::faults
