// The exit status of `sluice run` per way of stopping (the table in `sluice run --help` and the
// README), with the real executables. Every signal is sent only after the sink's stats show the
// run delivering (or a request in flight), never after a fixed sleep:
//   0      SIGINT to a streaming run whose drain completes
//   3      SIGTERM to an --until-caught-up run before it reached its caught-up point, and to
//          a file: run before the end of the file
//   4      SIGTERM whose drain times out (--drain-timeout-ms) with records unacknowledged
//   130    a second SIGINT abandons the drain (143 for SIGTERM: tests/faults/second_signal_test)
// 0 after SIGTERM: graceful_stop_test; 1 and 2: failure_paths_test and sources_and_config_test.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include "tests/integration/integration_env.h"

namespace sluice::it {
namespace {

constexpr uint64_t kCount = 20000;
constexpr int kPartitions = 4;
const char* const kTopic = "exits";

class ExitStatus : public IntegrationSuite<ExitStatus> {
 protected:
  static void SetUpTestSuite() {
    StartShared({.topic = kTopic, .partitions = kPartitions, .count = kCount, .seed = 4242});
  }
  void TearDown() override {
    EXPECT_TRUE(emulator_->ClearFaults());
    IntegrationSuite::TearDown();
  }

  /// Starts `sluice run` on the topic into `sink` (group "g-" + sink) with `extra` flags.
  std::unique_ptr<testing::Subprocess> Start(const std::string& sink, const std::vector<std::string>& extra) {
    SluiceRun run = KafkaRun(*emulator_, sink, kafka_->bootstrap(), kTopic, "g-" + sink);
    run.args.insert(run.args.end(), {"-X", kShortSession, "--report", dir_ + "/" + sink + ".json"});
    run.args.insert(run.args.end(), extra.begin(), extra.end());
    std::string error;
    std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(run.Options(), &error);
    EXPECT_NE(p, nullptr) << error;
    return p;
  }

  /// Waits (at most 60 s) until `ready` holds for the sink's stats while sluice runs.
  static bool WaitForSink(testing::Subprocess& p, const std::string& sink,
                          const std::function<bool(const SinkStats&)>& ready) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline && p.Running()) {
      if (ready(emulator_->Stats(sink))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string Report(const std::string& sink) { return ReadFileText(dir_ + "/" + sink + ".json"); }

  /// Sum of the group's committed offsets (what a next run skips).
  int64_t CommittedTotal(const std::string& sink) {
    std::string error;
    std::vector<int64_t> committed = CommittedOffsets(kafka_->bootstrap(), "g-" + sink, kTopic, kPartitions, &error);
    EXPECT_EQ(committed.size(), static_cast<size_t>(kPartitions)) << error;
    int64_t total = 0;
    for (int64_t c : committed) total += c >= 0 ? c : 0;
    return total;
  }
};

TEST_F(ExitStatus, SigintToAStreamingRunWhoseDrainCompletesExitsZero) {
  ASSERT_TRUE(emulator_->SetFaults("{\"latency_ms\":20}"));
  auto p = Start("sigint-drain", {"--batch-size", "100", "--concurrency", "2"});
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(WaitForSink(*p, "sigint-drain", [](const SinkStats& s) { return s.records_stored > 0; }))
      << "nothing stored before the signal\n" << p->StderrSoFar();
  p->Signal(SIGINT);
  testing::ProcessResult r = p->Wait(60000);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << "a drained stop of a streaming run is a clean stop\n" << r.err;
  const std::string report = Report("sigint-drain");
  EXPECT_EQ(ReportInt(report, "unacknowledged"), 0) << report;
  EXPECT_EQ(CommittedTotal("sigint-drain"), ReportInt(report, "delivered")) << report;
}

TEST_F(ExitStatus, SignalBeforeTheCaughtUpPointExitsThree) {
  // 200 batches one at a time, 100 ms each, and at most 500 records in flight: the source is far
  // from its caught-up point when the signal comes (had it read everything already, finishing
  // the drain would complete the run, and that is exit 0).
  ASSERT_TRUE(emulator_->SetFaults("{\"latency_ms\":100}"));
  auto p = Start("until-stopped", {"--until-caught-up", "--batch-size", "100", "--concurrency", "1",
                                   "--max-inflight-records", "500", "--chunk-records", "100"});
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(WaitForSink(*p, "until-stopped", [](const SinkStats& s) { return s.records_stored > 0; }))
      << "nothing stored before the signal\n" << p->StderrSoFar();
  p->Signal(SIGTERM);
  testing::ProcessResult r = p->Wait(60000);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 3) << "a bounded run stopped before its end must not look complete\n" << r.err;
  const std::string report = Report("until-stopped");
  const int64_t delivered = ReportInt(report, "delivered");
  EXPECT_LT(delivered, static_cast<int64_t>(kCount)) << "the run completed before the signal; nothing was tested";
  EXPECT_EQ(ReportInt(report, "unacknowledged"), 0) << report;
  EXPECT_EQ(CommittedTotal("until-stopped"), delivered) << report;
  std::printf("[ info ] stopped at %lld of %llu: exit %d\n", static_cast<long long>(delivered),
              static_cast<unsigned long long>(kCount), r.exit_code);
}

TEST_F(ExitStatus, FileRunStoppedBeforeTheEndOfTheFileExitsThree) {
  // A file is a bounded source too: stopped halfway, the run is not done.
  const std::string path = dir_ + "/flights.ndjson";
  ASSERT_NO_FATAL_FAILURE(Generate(path, kCount, 5));
  ASSERT_TRUE(emulator_->SetFaults("{\"latency_ms\":100}"));
  SluiceRun run = FileRun(*emulator_, "file-stopped", "file:" + path);
  run.args.insert(run.args.end(), {"--batch-size", "100", "--concurrency", "1", "--max-inflight-records", "500",
                                   "--chunk-records", "100", "--report", dir_ + "/file-stopped.json"});
  std::string error;
  std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(run.Options(), &error);
  ASSERT_NE(p, nullptr) << error;
  ASSERT_TRUE(WaitForSink(*p, "file-stopped", [](const SinkStats& s) { return s.records_stored > 0; }))
      << "nothing stored before the signal\n" << p->StderrSoFar();
  p->Signal(SIGTERM);
  testing::ProcessResult r = p->Wait(60000);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const std::string report = Report("file-stopped");
  EXPECT_LT(ReportInt(report, "delivered"), static_cast<int64_t>(kCount)) << report;
  EXPECT_EQ(ReportInt(report, "unacknowledged"), 0) << report;
}

TEST_F(ExitStatus, DrainThatTimesOutExitsFour) {
  // Every answer takes 5 s; the drain may take 300 ms: the records in flight stay unacknowledged.
  ASSERT_TRUE(emulator_->SetFaults("{\"latency_ms\":5000}"));
  auto p = Start("drain-timeout", {"--batch-size", "100", "--concurrency", "2", "--drain-timeout-ms", "300"});
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(WaitForSink(*p, "drain-timeout", [](const SinkStats& s) { return s.requests > 0; }))
      << "no request reached the sink\n" << p->StderrSoFar();
  p->Signal(SIGTERM);
  testing::ProcessResult r = p->Wait(60000);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("drain timeout"), std::string::npos) << r.err;
  const std::string report = Report("drain-timeout");
  EXPECT_GT(ReportInt(report, "unacknowledged"), 0) << report;
  // Only acknowledged prefixes are committed; the abandoned records are read again next time.
  EXPECT_LE(CommittedTotal("drain-timeout"), ReportInt(report, "delivered")) << report;
}

TEST_F(ExitStatus, SecondSigintAbandonsTheDrainWith130) {
  // One request at a time, 2 s each: the drain after the first SIGINT is still waiting when the
  // second one comes (sent once the first was delivered, so the two cannot merge into one).
  ASSERT_TRUE(emulator_->SetFaults("{\"latency_ms\":2000}"));
  auto p = Start("second-sigint", {"--batch-size", "100", "--concurrency", "1"});
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(WaitForSink(*p, "second-sigint", [](const SinkStats& s) { return s.requests > 0; }))
      << "no request reached the sink\n" << p->StderrSoFar();
  p->Signal(SIGINT);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (p->SignalPending(SIGINT) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_FALSE(p->SignalPending(SIGINT)) << "the first SIGINT was never delivered";
  p->Signal(SIGINT);
  testing::ProcessResult r = p->Wait(60000);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.err;
  EXPECT_NE(r.err.find("second signal"), std::string::npos) << r.err;
  const std::string report = Report("second-sigint");
  EXPECT_LE(CommittedTotal("second-sigint"), ReportInt(report, "delivered")) << report;
}

}  // namespace
}  // namespace sluice::it
