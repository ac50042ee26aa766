// Second signal, real executables over TCP: with a slow sink (500 ms per answer) and one request
// in flight at a time, draining after a SIGTERM would take many seconds; a second SIGTERM must
// make sluice give up promptly with exit status 143 (128 + SIGTERM). Nothing may be lost: a
// follow-up run in the same group with --until-caught-up (sink fast again) completes every id.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "tests/faults/fault_env.h"

namespace sluice::faults {
namespace {

constexpr uint64_t kCount = 20000;
constexpr int kPartitions = 8;
const char* const kTopic = "flights-signal";

TEST(SecondSignal, TwoQuickSigtermsAbandonTheDrainAndAFollowUpRunCompletesEverything) {
  FaultProcesses procs;
  ASSERT_NO_FATAL_FAILURE(
      StartFaultProcesses(FaultSetup(1).Topic(kTopic, kPartitions).Flights(kCount, 5150), &procs));
  auto& [kafka, emulator] = procs;
  std::string error;
  const std::string dir = MakeTempDir();
  const std::string sink = "signal";
  const std::string group = "g-signal";

  ASSERT_TRUE(emulator->SetFaults("{\"latency_ms\":500}"));
  // 40 batches, one at a time, 500 ms each: a full drain would need ~20 s.
  testing::ProcessOptions slow = SluiceKafkaRun(*emulator, sink, kafka->bootstrap(), kTopic, group);
  slow.argv.insert(slow.argv.end(), {"--concurrency", "1", "--report", dir + "/first.json"});
  std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(slow, &error);
  ASSERT_NE(p, nullptr) << error;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (std::chrono::steady_clock::now() < deadline && emulator->Stats(sink).requests < 1)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GE(emulator->Stats(sink).requests, 1u) << "sluice never reached the sink\n" << p->StderrSoFar();

  p->Signal(SIGTERM);
  // The second signal goes once the first was delivered (two pending SIGTERMs merge into one).
  const auto delivered_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (p->SignalPending(SIGTERM) && std::chrono::steady_clock::now() < delivered_by)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_FALSE(p->SignalPending(SIGTERM)) << "the first SIGTERM was never delivered";
  p->Signal(SIGTERM);
  // Generous bound: the point is "not the ~20 s drain, not the 30 s drain timeout".
  testing::ProcessResult r = p->Wait(10000);
  EXPECT_FALSE(r.timed_out) << "sluice kept draining after the second SIGTERM\n" << r.err;
  // 128 + the signal, as a shell reports a process killed by it: abandoning records in flight
  // must not look like success, nor like the drain timeout (4).
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_EQ(r.all().find(kPassword), std::string::npos);
  const SinkStats partial = emulator->Stats(sink);
  EXPECT_LT(partial.distinct_ids, kCount) << "everything was delivered before the signals; nothing was tested";
  std::printf("[ info ] second signal: exit %d, %llu ids at the sink when it stopped\n", r.exit_code,
              static_cast<unsigned long long>(partial.distinct_ids));

  ASSERT_TRUE(emulator->ClearFaults());
  testing::ProcessOptions again = SluiceKafkaRun(*emulator, sink, kafka->bootstrap(), kTopic, group);
  again.argv.insert(again.argv.end(), {"--until-caught-up", "--report", dir + "/again.json"});
  testing::ProcessResult r2 = testing::RunProcess(again, 100000);
  EXPECT_FALSE(r2.timed_out) << r2.err;
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  RunReport rep = ParseReport(ReadFileText(dir + "/again.json"));
  EXPECT_TRUE(rep.parsed);
  const SinkStats s = emulator->Stats(sink);
  EXPECT_EQ(s.distinct_ids, kCount) << "records lost after the abandoned drain";
  PrintTableLine("after second signal", kCount, s, rep);
}

}  // namespace
}  // namespace sluice::faults
