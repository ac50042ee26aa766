// A backlog the mock cluster cannot hold, on a real Apache Kafka broker: 5,000,000 fake flights
// (about 1.8 GB of JSON) on 16 partitions, read by `sluice run --until-caught-up
// --memory-budget 256MiB` while the sink emulator first holds every request (a stalled sink)
// and then answers again. During the stall the consumer must stop prefetching and the engine
// stop admitting records: the stall lasts until the member's consumed count stands still
// (its /metrics), i.e. until backpressure holds it, not for a fixed time. Peak RSS from the run
// report (peak_rss_mib) must stay within the budget, and every record must arrive. Label
// real-kafka-long (minutes): .ci/run runs it as a stage of its own.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/integration/integration_env.h"
#include "tests/real_kafka/scenario_env.h"
#include "tests/testing/run_report.h"
#include "tests/testing/sluice_metrics.h"

namespace sluice::realkafka {
namespace {

using Clock = std::chrono::steady_clock;

[[maybe_unused]] ::testing::Environment* const kCluster =
    ::testing::AddGlobalTestEnvironment(new testing::KafkaClusterEnvironment(testing::KafkaClusterOptions{}));

constexpr uint64_t kRecords = 5000000;
constexpr int kPartitions = 16;
constexpr int kBudgetMiB = 256;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class RealBacklog : public ScenarioSuite<RealBacklog> {};

TEST_F(RealBacklog, FiveMillionRecordsThroughAStalledSinkStayWithinTheBudget) {
  const std::string topic = "backlog";
  const std::string bootstrap = cluster_->plaintext();
  ASSERT_EQ(cluster_->CreateTopic(topic, kPartitions, 1), "");
  const auto t0 = Clock::now();
  testing::ProcessOptions produce;
  produce.argv = {testing::BinDir() + "/sluice-fake-flights",
                  "--brokers",
                  bootstrap,
                  "--topic",
                  topic,
                  "--count",
                  std::to_string(kRecords),
                  "--seed",
                  "5005"};
  const testing::ProcessResult pr = testing::RunProcess(produce, 900000);
  ASSERT_EQ(pr.exit_code, 0) << pr.all();
  const double produce_s = Since(t0);
  std::string error;
  const std::vector<int64_t> ends = it::HighWatermarks(bootstrap, topic, kPartitions, &error);
  ASSERT_EQ(error, "");
  int64_t held = 0;
  for (int64_t e : ends) held += e;
  ASSERT_EQ(held, static_cast<int64_t>(kRecords)) << "the broker does not hold the whole backlog";

  // Every request is held (answered after 10 min) until released; the request timeout ends the
  // held ones a little after the release and their retries go through.
  ASSERT_TRUE(emulator_->SetFaults(R"({"latency_ms":600000})"));
  const std::string report = dir_ + "/backlog.json";
  std::vector<std::string> extra = {"--until-caught-up",
                                    "--memory-budget",
                                    std::to_string(kBudgetMiB) + "MiB",
                                    "--request-timeout-ms",
                                    "20000",
                                    "--backoff-max-ms",
                                    "2000",
                                    "--report",
                                    report};
  const std::vector<std::string> metrics = testing::MetricsArgs();
  extra.insert(extra.end(), metrics.begin(), metrics.end());
  const auto t_run = Clock::now();
  auto run = testing::Subprocess::Start(MemberArgs(*emulator_, topic, bootstrap, topic, "g-" + topic, extra), &error);
  ASSERT_NE(run, nullptr) << error;

  // Stalled until backpressure holds the member: its consumed count has not moved for 3 s.
  int64_t consumed = -1, stable_since_value = -2;
  Clock::time_point stable_since = Clock::now();
  const bool held_back = WaitFor(
      [&] {
        consumed = MetricValue(*run, "sluice_records_consumed_total");
        if (consumed != stable_since_value) {
          stable_since_value = consumed;
          stable_since = Clock::now();
          return false;
        }
        return consumed > 0 && Clock::now() - stable_since >= std::chrono::seconds(3);
      },
      std::chrono::seconds(180));
  EXPECT_TRUE(held_back) << "the member never stopped reading during the stall (consumed " << consumed << ")\n"
                         << run->StderrSoFar();
  EXPECT_LT(consumed, static_cast<int64_t>(kRecords) / 4) << "the member read far ahead of a stalled sink";
  const double stall_s = Since(t_run);
  ASSERT_TRUE(emulator_->SetFaults(R"({"latency_ms":0})"));

  const testing::ProcessResult r = run->Wait(900000);
  const double run_s = Since(t_run);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 4000);
  const std::string json = testing::ReadFileText(report);
  const testing::RunReport rep = testing::ParseReport(json);
  ASSERT_TRUE(rep.parsed) << json;
  const int64_t peak_rss_mib = testing::ReportInt(json, "peak_rss_mib");
  EXPECT_GE(rep.delivered, static_cast<int64_t>(kRecords));
  EXPECT_GT(peak_rss_mib, 0) << json;
  EXPECT_LE(peak_rss_mib, kBudgetMiB) << "peak RSS above --memory-budget";
  const testing::SinkStats s = emulator_->Stats(topic);
  EXPECT_EQ(s.distinct_ids, kRecords) << "ids missing at the sink";
  const std::vector<int64_t> committed = it::CommittedOffsets(bootstrap, "g-" + topic, topic, kPartitions, &error);
  EXPECT_EQ(committed, ends) << error;
  std::printf(
      "[ info ] backlog: %llu records produced in %.1f s; stalled sink held the member at %lld consumed "
      "after %.1f s; run %.1f s in all; delivered %lld, %llu distinct, %llu duplicates; peak RSS %lld MiB "
      "(budget %d MiB)\n",
      static_cast<unsigned long long>(kRecords), produce_s, static_cast<long long>(consumed), stall_s, run_s,
      static_cast<long long>(rep.delivered), static_cast<unsigned long long>(s.distinct_ids),
      static_cast<unsigned long long>(s.duplicates), static_cast<long long>(peak_rss_mib), kBudgetMiB);
  emulator_->ClearFaults();
}

}  // namespace
}  // namespace sluice::realkafka
