// File: tests/memory/memory_budget_test.cpp
// `sluice run --until-caught-up --memory-budget 256MiB` over a large backlog (16 partitions of
// sluice-mock-kafka) while the sink emulator holds every request (injected latency) for 30 s:
// the consumer must stop prefetching and the engine must stop admitting records once its
// in-flight bound is reached, so peak RSS stays under the budget; after the release every
// record must arrive. Peak RSS is taken from the --report JSON (peak_rss_mib) and from
// /proc/PID/status VmHWM sampled during the run; both are printed.
#include <dirent.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/integration_env.h"

namespace sluice::it {
namespace {

using Clock = std::chrono::steady_clock;

// The mock keeps ~5 MiB of zstd batches per partition; 2M flights compress to less than
// 16 x 5 MiB with the producer settings below (checked with the watermarks, not assumed).
constexpr uint64_t kRecords = 2000000;
constexpr int kPartitions = 16;
constexpr int kBudgetMiB = 256;
constexpr int kStallSeconds = 30;

// Sum of (high - low) over the partitions, i.e. the records the mock still holds; -1 on error.
int64_t RetainedRecords(const std::string& brokers, const std::string& topic, std::string* error) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    *error = err;
    return -1;
  }
  int64_t total = 0;
  for (int p = 0; p < kPartitions; ++p) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = rd_kafka_err2str(e);
      total = -1;
      break;
    }
    total += high - low;
  }
  rd_kafka_destroy(rk);
  return total;
}

// The pid of the running `sluice` whose command line contains `marker`; -1 when none.
int FindPid(const std::string& marker) {
  DIR* d = opendir("/proc");
  if (d == nullptr) return -1;
  int found = -1;
  while (dirent* e = readdir(d)) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(e->d_name) + "/cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(marker) != std::string::npos && cmd.find("sluice") != std::string::npos) {
      found = pid;
      break;
    }
  }
  closedir(d);
  return found;
}

// VmHWM of `pid` in KiB; -1 when the process is gone.
int64_t VmHwmKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

TEST(MemoryBudget, StalledSinkWithLargeBacklogStaysUnderBudget) {
  const std::string dir = MakeTempDir();
  std::string error;
  auto kafka = MockKafkaProcess::Start({.brokers = 0, .topic = "mem", .partitions = kPartitions}, &error);
  ASSERT_NE(kafka, nullptr) << error;
  auto emulator = EmulatorProcess::Start(kAccount, &error);
  ASSERT_NE(emulator, nullptr) << error;

  // Larger batches than sluice-fake-flights' defaults compress better, so more fits.
  testing::ProcessOptions produce;
  produce.argv = {BinDir() + "/sluice-fake-flights", "--brokers", kafka->bootstrap(), "--topic", "mem", "--count",
                  std::to_string(kRecords), "--seed", "11", "-X", "linger.ms=100", "-X",
                  "batch.num.messages=100000", "-X", "batch.size=4000000", "-X", "message.max.bytes=8000000"};
  const auto t0 = Clock::now();
  testing::ProcessResult pr = testing::RunProcess(produce, 240000);
  ASSERT_EQ(pr.exit_code, 0) << pr.err;
  const int64_t retained = RetainedRecords(kafka->bootstrap(), "mem", &error);
  std::printf("produced %llu records in %.1f s; the mock holds %lld\n", static_cast<unsigned long long>(kRecords),
              std::chrono::duration<double>(Clock::now() - t0).count(), static_cast<long long>(retained));
  ASSERT_EQ(retained, static_cast<int64_t>(kRecords)) << error << " (the mock dropped old batches)";

  // Every request hangs (answer after 10 min) until released; the request timeout ends the
  // held requests a little after the release and their retries go through.
  ASSERT_TRUE(emulator->SetFaults(R"({"latency_ms":600000})"));
  const std::string report = dir + "/report-memory.json";
  SluiceRun run = KafkaRun(*emulator, "mem", kafka->bootstrap(), "mem", "memory");
  run.args.insert(run.args.end(), {"--until-caught-up", "--memory-budget", std::to_string(kBudgetMiB) + "MiB",
                                   "--request-timeout-ms", std::to_string((kStallSeconds + 5) * 1000),
                                   "--backoff-max-ms", "2000", "--report", report});
  auto child = testing::Subprocess::Start(run.Options(), &error);
  ASSERT_NE(child, nullptr) << error;

  int pid = -1;
  int64_t hwm_kib = 0;
  bool released = false;
  const auto start = Clock::now();
  while (child->Running()) {
    if (pid < 0) pid = FindPid(report);
    if (pid > 0) hwm_kib = std::max(hwm_kib, VmHwmKiB(pid));
    if (!released && Clock::now() - start >= std::chrono::seconds(kStallSeconds)) {
      ASSERT_TRUE(emulator->SetFaults(R"({"latency_ms":0})"));
      std::printf("released the sink after %d s; VmHWM so far %.1f MiB\n", kStallSeconds, hwm_kib / 1024.0);
      released = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  testing::ProcessResult r = child->Wait(1000);
  EXPECT_TRUE(released) << "sluice ended during the stall: " << r.err.substr(0, 2000);
  EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 4000);

  const std::string json = ReadFileText(report);
  const int64_t peak_rss_mib = ReportInt(json, "peak_rss_mib");
  std::printf("peak RSS: report peak_rss_mib=%lld, sampled VmHWM=%.1f MiB (budget %d MiB), run took %.1f s\n",
              static_cast<long long>(peak_rss_mib), hwm_kib / 1024.0, kBudgetMiB,
              std::chrono::duration<double>(Clock::now() - start).count());
  EXPECT_GT(hwm_kib, 0) << "never sampled sluice's VmHWM";
  EXPECT_LT(hwm_kib / 1024, kBudgetMiB);
  if (peak_rss_mib >= 0) {
    EXPECT_LT(peak_rss_mib, kBudgetMiB) << json;
  }

  SinkStats stats = emulator->Stats("mem");
  ASSERT_TRUE(stats.ok);
  std::printf("sink: requests=%llu distinct_ids=%llu duplicates=%llu\n",
              static_cast<unsigned long long>(stats.requests), static_cast<unsigned long long>(stats.distinct_ids),
              static_cast<unsigned long long>(stats.duplicates));
  EXPECT_EQ(stats.distinct_ids, kRecords);
  RemoveTree(dir);
}

}  // namespace
}  // namespace sluice::it
