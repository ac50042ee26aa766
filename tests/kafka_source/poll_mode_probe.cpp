// poll_mode_probe: measures how fast KafkaSource drains an already-filled topic on the mock
// cluster with each KafkaPollMode (batch consume vs. consumer_poll loop). Not a test (no
// assertion); run by hand: ./poll_mode_probe [messages]. Reports records/s per mode.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "stages/kafka_source/kafka_source.h"
#include "tests/kafka_source/mock_cluster.h"

using sluice::stages::KafkaPollMode;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::atoi(argv[1]) : 300000;
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("probe", 4);
  const std::string value(120, 'x');
  for (int i = 0; i < messages; ++i) {
    mc.Produce("probe", i % 4, value);
    if (i % 10000 == 0) mc.Flush();
  }
  mc.Flush();
  std::printf("produced %d\n", messages);
  std::fflush(stdout);
  for (int round = 0; round < 2; ++round) {
    for (KafkaPollMode mode : {KafkaPollMode::kBatchQueue, KafkaPollMode::kPollLoop}) {
      sluice::stages::KafkaSourceConfig c;
      c.brokers = mc.bootstraps();
      c.topics = {"probe"};
      c.group_id = "probe-" + std::to_string(round) + "-" + std::to_string(static_cast<int>(mode));
      c.poll_mode = mode;
      c.memory_budget_bytes = 256 << 20;
      c.properties = {{"log_level", "3"}};
      auto source = sluice::stages::KafkaSource::Create(c);
      if (!source.ok() || !(*source)->Start(nullptr).ok()) return 1;
      sluice::RecordChunk chunk;
      size_t total = 0;
      long last[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
      Clock::time_point first{};
      // The mock cluster drops old segments of big partitions (retention), so wait for every
      // partition's last offset rather than for a record count.
      const long end = messages / 4 - 1;
      while (last[0] < end || last[1] < end || last[2] < end || last[3] < end) {
        chunk.Clear();
        auto n = (*source)->Poll(chunk, 4096, 100);
        if (!n.ok()) return 1;
        if (*n > 0 && total == 0) first = Clock::now();
        total += *n;
        for (const auto& r : chunk.records) last[r.position.stream] = r.position.offset;
        if (std::getenv("PROBE_VERBOSE") != nullptr && *n == 0) {
          std::fprintf(stderr, "idle at %zu: %ld %ld %ld %ld\n", total, last[0], last[1], last[2], last[3]);
        }
      }
      double s = std::chrono::duration<double>(Clock::now() - first).count();
      std::printf("%-10s %d records in %.3f s = %.0f records/s\n",
                  mode == KafkaPollMode::kBatchQueue ? "batch" : "poll-loop", static_cast<int>(total), s, total / s);
      std::fflush(stdout);
      (void)(*source)->Close();
    }
  }
  return 0;
}
