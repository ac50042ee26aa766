// Combined sink faults, real executables over TCP: 200,000 fake flights on 8 partitions in
// sluice-mock-kafka and one `sluice run --until-caught-up` into a sink emulator that injects
// every fault at the same time: 10% 503, 5% 429 (Retry-After 1 s), 2% dropped connections,
// 50 ms + up to 40 ms latency, a one-second burst of 401s (revoked tokens) early in the run,
// and a 10 s outage (/admin/stop, /admin/start) in the middle. The run must exit 0 with every id
// at the sink, and the sink's duplicates must stay within what can be in flight at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "tests/faults/fault_env.h"

namespace sluice::faults {
namespace {

constexpr uint64_t kCount = 200000;
constexpr int kPartitions = 8;
constexpr int kConcurrency = 16;
constexpr int kBatchSize = 500;
/// Records sluice may hold between reading and acknowledging; with the concurrency x batch size
/// window it bounds how many records an unanswered-but-stored request could resend.
constexpr uint64_t kMaxInflightRecords = 8000;
const char* const kTopic = "flights-combined";
const char* const kSink = "combined";

bool WaitForIds(const Emulator& emu, uint64_t at_least, int timeout_s) {
  return emu.WaitForDistinctIds(kSink, at_least, std::chrono::seconds(timeout_s)) >= at_least;
}

TEST(CombinedSinkFaults, AllFaultsAtOnceWithATenSecondOutageDeliverEveryIdOnce) {
  FaultProcesses procs;
  ASSERT_NO_FATAL_FAILURE(StartFaultProcesses(
      FaultSetup(1).Topic(kTopic, kPartitions).Flights(kCount, 4401).EmulatorArgs({"--seed", "4401"}), &procs));
  auto& [kafka, emulator] = procs;
  std::string error;
  const std::string dir = MakeTempDir();
  const std::string report_path = dir + "/report.json";

  ASSERT_TRUE(emulator->SetFaults(
      "{\"error_503_rate\":0.10,\"error_429_rate\":0.05,\"retry_after_s\":1,\"drop_connection_rate\":0.02,"
      "\"latency_ms\":50,\"latency_jitter_ms\":40}"));
  testing::ProcessOptions run = SluiceKafkaRun(*emulator, kSink, kafka->bootstrap(), kTopic, "g-combined");
  // A 2 s backoff ceiling: after the outage the run resumes within seconds, not the default 10 s.
  run.argv.insert(run.argv.end(),
                  {"--until-caught-up", "--report", report_path, "--concurrency", std::to_string(kConcurrency),
                   "--batch-size", std::to_string(kBatchSize), "--max-inflight-records",
                   std::to_string(kMaxInflightRecords), "--backoff-max-ms", "2000"});
  std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(run, &error);
  ASSERT_NE(p, nullptr) << error;

  // Revoked tokens: one second of 401s once the run is delivering (rate 0.2 of the requests
  // that get past the other faults; other requests are accepted in between, so the sender's
  // "fresh tokens refused in a row" limit is not what this exercises).
  ASSERT_TRUE(WaitForIds(*emulator, 10000, 60)) << "sluice never got going\n" << p->StderrSoFar();
  ASSERT_TRUE(emulator->SetFaults("{\"error_401_rate\":0.2}"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(emulator->SetFaults("{\"error_401_rate\":0}"));

  // The outage in the middle of the run.
  ASSERT_TRUE(WaitForIds(*emulator, kCount * 2 / 5, 90)) << p->StderrSoFar();
  const SinkStats before = emulator->Stats(kSink);
  EXPECT_TRUE(emulator->Admin("stop"));
  std::this_thread::sleep_for(std::chrono::seconds(10));
  EXPECT_TRUE(emulator->Admin("start"));
  EXPECT_LT(before.distinct_ids, kCount) << "the run finished before the outage; the outage tested nothing";

  testing::ProcessResult r = p->Wait(150000);
  emulator->ClearFaults();
  const RunReport report = ParseReport(ReadFileText(report_path));
  const SinkStats stats = emulator->Stats(kSink);
  EXPECT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";
  ASSERT_TRUE(report.parsed) << ReadFileText(report_path);
  EXPECT_TRUE(report.ok) << report.error;
  ASSERT_TRUE(stats.ok);
  EXPECT_EQ(stats.distinct_ids, kCount) << "ids missing at the sink";
  EXPECT_EQ(report.delivered, static_cast<int64_t>(kCount));
  EXPECT_EQ(report.dead_lettered, 0);
  // Every class of fault must actually have been met and retried.
  EXPECT_GT(report.retries_server, 0) << "503s (and the outage) should count as server retries";
  EXPECT_GT(report.retries_throttled, 0) << "429s should count as throttled retries";
  // The 1 s burst of 401s can fall entirely between requests on a loaded machine (seen in CI
  // runs), so it is reported, not asserted here; the sink matrix's 401 tests assert refreshes.
  if (report.auth_refreshes <= 1) std::printf("[ note ] the 401 burst met no request in this run\n");

  // A record is stored twice only when a request was stored but its answer never arrived, and
  // what can be unanswered at once is bounded by the in-flight window.
  const uint64_t window = std::min<uint64_t>(kMaxInflightRecords, uint64_t{kConcurrency} * kBatchSize);
  std::printf("[ info ] duplicate bound: min(--max-inflight-records %llu, concurrency %d x batch %d) = %llu\n",
              static_cast<unsigned long long>(kMaxInflightRecords), kConcurrency, kBatchSize,
              static_cast<unsigned long long>(window));
  EXPECT_LE(stats.duplicates, window);
  std::printf(
      "[ combined ] sent %llu  delivered %lld  distinct %llu  duplicates %llu (bound %llu)  requests %lld  "
      "retries total %lld: server(503/outage) %lld throttled(429) %lld network(drops) %lld  auth_refreshes %lld\n",
      static_cast<unsigned long long>(kCount), static_cast<long long>(report.delivered),
      static_cast<unsigned long long>(stats.distinct_ids), static_cast<unsigned long long>(stats.duplicates),
      static_cast<unsigned long long>(window), static_cast<long long>(report.requests),
      static_cast<long long>(report.retries_total), static_cast<long long>(report.retries_server),
      static_cast<long long>(report.retries_throttled), static_cast<long long>(report.retries_network),
      static_cast<long long>(report.auth_refreshes));
  PrintTableLine("combined+outage10s", kCount, stats, report);
}

}  // namespace
}  // namespace sluice::faults
