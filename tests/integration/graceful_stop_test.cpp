// SIGTERM end to end: sluice is stopped in the middle of a large topic (a slow sink keeps
// records in flight), drains, exits 0 with everything it delivered committed; a second run in
// the same group completes the rest. At-least-once: the union of ids is all ids.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "tests/integration/integration_env.h"

namespace sluice::it {
namespace {

TEST(GracefulStop, SigtermDrainsCommitsAndASecondRunCompletesTheRest) {
  constexpr uint64_t kCount = 200000;
  constexpr uint64_t kSeed = 9001;
  constexpr int kPartitions = 8;
  const std::string topic = "flights-big";
  const std::string group = "g-sigterm";
  std::string error;
  auto kafka = MockKafkaProcess::Start({.brokers = 0, .topic = topic, .partitions = kPartitions}, &error);
  ASSERT_NE(kafka, nullptr) << error;
  // 20 ms per request keeps batches in flight when the signal arrives.
  auto emulator = EmulatorProcess::Start(kAccount, &error, {"--latency-ms", "20"});
  ASSERT_NE(emulator, nullptr) << error;
  const std::string dir = MakeTempDir();
  struct RemoveAtEnd {
    std::string dir;
    ~RemoveAtEnd() { RemoveTree(dir); }
  } remove_at_end{dir};

  testing::ProcessResult produced = ProduceFlights(kafka->bootstrap(), topic, kCount, kSeed);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  std::vector<int64_t> high = HighWatermarks(kafka->bootstrap(), topic, kPartitions, &error);
  ASSERT_EQ(high.size(), static_cast<size_t>(kPartitions)) << error;
  int64_t total = 0;
  for (int64_t h : high) total += h;
  ASSERT_EQ(total, static_cast<int64_t>(kCount));

  // Run 1: unbounded (no --until-caught-up), so only the signal ends it.
  SluiceRun first = KafkaRun(*emulator, "s-big", kafka->bootstrap(), topic, group);
  first.args.insert(first.args.end(), {"-X", kShortSession, "--batch-size", "100", "--concurrency", "4", "--report", dir + "/first.json"});
  std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(first.Options(), &error);
  ASSERT_NE(p, nullptr) << error;
  // Wait until the sink stored something, so the signal lands mid-stream.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (emulator->Stats("s-big").records_stored == 0 && p->Running() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(p->Running()) << "sluice exited before the signal:\n" << p->StderrSoFar();
  ASSERT_GT(emulator->Stats("s-big").records_stored, 0u) << "nothing arrived within 60 s:\n" << p->StderrSoFar();
  p->Signal(SIGTERM);
  testing::ProcessResult r1 = p->Wait(60000);
  ASSERT_FALSE(r1.timed_out) << r1.err;
  EXPECT_EQ(r1.exit_code, 0) << "a drained stop should exit 0\n" << r1.err;
  EXPECT_EQ(r1.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";
  const std::string report1 = ReadFileText(dir + "/first.json");
  const int64_t delivered1 = ReportInt(report1, "delivered");
  ASSERT_GE(delivered1, 0) << report1;
  EXPECT_EQ(ReportInt(report1, "unacknowledged"), 0) << report1;
  std::printf("[ info ] first run delivered %lld of %llu before SIGTERM\n", static_cast<long long>(delivered1),
              static_cast<unsigned long long>(kCount));

  // Everything delivered is committed: after a complete drain the acknowledged records of each
  // partition form a prefix, so the committed offsets add up to the records delivered.
  std::vector<int64_t> committed = CommittedOffsets(kafka->bootstrap(), group, topic, kPartitions, &error);
  ASSERT_EQ(committed.size(), static_cast<size_t>(kPartitions)) << error;
  int64_t committed_total = 0;
  for (int64_t c : committed) committed_total += c >= 0 ? c : 0;
  EXPECT_EQ(committed_total, delivered1) << "committed offsets do not match what was delivered";
  const uint64_t distinct1 = emulator->Stats("s-big").distinct_ids;
  EXPECT_EQ(static_cast<int64_t>(distinct1), delivered1);

  // Run 2: same group, bounded; it must complete the rest.
  SluiceRun second = KafkaRun(*emulator, "s-big", kafka->bootstrap(), topic, group);
  second.args.insert(second.args.end(), {"--until-caught-up", "-X", kShortSession, "--report", dir + "/second.json"});
  testing::ProcessResult r2 = testing::RunProcess(second.Options(), 100000);
  ASSERT_FALSE(r2.timed_out) << r2.err;
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(r2.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";
  const int64_t delivered2 = ReportInt(ReadFileText(dir + "/second.json"), "delivered");

  ExpectedRows expected;
  ASSERT_TRUE(expected.ok()) << expected.error();
  ASSERT_TRUE(expected.AddGenerated(kSeed, kCount)) << expected.error();
  EXPECT_EQ(CompareRows(emulator->Rows("s-big"), expected.rows()), "");
  SinkStats stats = emulator->Stats("s-big");
  EXPECT_EQ(stats.distinct_ids, kCount);
  std::printf("[ info ] second run delivered %lld; redelivered across the two runs: %lld (emulator duplicates %llu)\n",
              static_cast<long long>(delivered2),
              static_cast<long long>(delivered1 + delivered2 - static_cast<int64_t>(kCount)),
              static_cast<unsigned long long>(stats.duplicates));
  committed = CommittedOffsets(kafka->bootstrap(), group, topic, kPartitions, &error);
  ASSERT_EQ(committed.size(), static_cast<size_t>(kPartitions)) << error;
  for (int p2 = 0; p2 < kPartitions; ++p2) EXPECT_EQ(committed[static_cast<size_t>(p2)], high[static_cast<size_t>(p2)]);
}

}  // namespace
}  // namespace sluice::it
