// Crash recovery, real executables over TCP: `sluice run` (always the same group) is killed with
// SIGKILL three times at random moments (seeded RNG: 1-4 s after that incarnation started
// delivering) and started again; the fourth run uses --until-caught-up. At-least-once means
// every id reaches the sink; duplicates (records delivered but not yet committed when the
// process died) are printed. A client-side rate limit keeps the topic from being finished
// before the kills.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "tests/faults/fault_env.h"

namespace sluice::faults {
namespace {

constexpr uint64_t kCount = 80000;
constexpr int kPartitions = 8;
constexpr int kKills = 3;
const char* const kTopic = "flights-sigkill";
const char* const kSink = "sigkill";
const char* const kGroup = "g-sigkill";

TEST(SigkillRestart, ThreeKillsAtRandomMomentsLoseNoRecord) {
  FaultProcesses procs;
  ASSERT_NO_FATAL_FAILURE(
      StartFaultProcesses(FaultSetup(1).Topic(kTopic, kPartitions).Flights(kCount, 6607), &procs));
  auto& [kafka, emulator] = procs;
  std::string error;
  const std::string dir = MakeTempDir();

  std::mt19937 rng(20241126);
  std::uniform_int_distribution<int> delay_ms(1000, 4000);
  for (int kill = 1; kill <= kKills; ++kill) {
    testing::ProcessOptions run = SluiceKafkaRun(*emulator, kSink, kafka->bootstrap(), kTopic, kGroup);
    // ~4,000 records/s: the whole topic takes ~20 s of delivery, more than three kills use.
    run.argv.insert(run.argv.end(), {"--rate-limit", "4000/s"});
    std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(run, &error);
    ASSERT_NE(p, nullptr) << error;
    // The group join (and, after a kill, the dead member's 6 s session) comes first; the kill
    // is meant for a run that is delivering, so the random delay counts from its first request.
    const uint64_t requests_before = emulator->Stats(kSink).requests;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
    while (std::chrono::steady_clock::now() < deadline && emulator->Stats(kSink).requests <= requests_before &&
           p->Running())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_GT(emulator->Stats(kSink).requests, requests_before)
        << "incarnation " << kill << " never delivered\n" << p->StderrSoFar();
    const int wait_ms = delay_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    ASSERT_TRUE(p->Running()) << "sluice exited on its own\n" << p->StderrSoFar();
    p->Signal(SIGKILL);
    testing::ProcessResult r = p->Wait(10000);
    EXPECT_EQ(r.exit_code, 128 + SIGKILL);
    EXPECT_EQ(r.all().find(kPassword), std::string::npos);
    const SinkStats s = emulator->Stats(kSink);
    std::printf("[ info ] kill %d after %d ms of delivery: %llu ids at the sink, %llu duplicates so far\n", kill,
                wait_ms, static_cast<unsigned long long>(s.distinct_ids),
                static_cast<unsigned long long>(s.duplicates));
    EXPECT_LT(s.distinct_ids, kCount) << "the topic was finished before kill " << kill;
  }

  testing::ProcessOptions last = SluiceKafkaRun(*emulator, kSink, kafka->bootstrap(), kTopic, kGroup);
  const std::string report_path = dir + "/final.json";
  last.argv.insert(last.argv.end(), {"--until-caught-up", "--report", report_path});
  testing::ProcessResult r = testing::RunProcess(last, 100000);
  EXPECT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.all().find(kPassword), std::string::npos);
  const RunReport report = ParseReport(ReadFileText(report_path));
  EXPECT_TRUE(report.parsed) << ReadFileText(report_path);
  const SinkStats s = emulator->Stats(kSink);
  EXPECT_EQ(s.distinct_ids, kCount) << "records lost across the SIGKILLs";
  std::printf("[ sigkill ] sent %llu  distinct %llu  duplicates %llu after %d SIGKILLs (final run delivered %lld)\n",
              static_cast<unsigned long long>(kCount), static_cast<unsigned long long>(s.distinct_ids),
              static_cast<unsigned long long>(s.duplicates), kKills, static_cast<long long>(report.delivered));
  PrintTableLine("3x SIGKILL + restart", kCount, s, report);
}

}  // namespace
}  // namespace sluice::faults
