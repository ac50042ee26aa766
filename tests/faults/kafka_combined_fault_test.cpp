// Combined Kafka faults, real executables over TCP: a 3-broker sluice-mock-kafka, 60,000 fake
// flights on 8 partitions and one `sluice run --until-caught-up`, while the test (through the
// mock's stdin control protocol) takes a partition leader down for 5 s in the middle of the run
// and, all along, keeps queueing retriable errors for Fetch (NOT_LEADER_FOR_PARTITION,
// REQUEST_TIMED_OUT) and OffsetCommit (COORDINATOR_NOT_AVAILABLE, REQUEST_TIMED_OUT) requests.
// Every id must reach the sink, the run must exit 0, and the group's committed offsets must
// end at the end of every partition.
//
// The broker taken down is never the group coordinator: librdkafka 2.0.2's mock picks the
// coordinator as broker index crc32(group) % broker_count, and the test picks a group name that
// hashes to index 1 (broker 2, whichever way the mock orders its broker list), then takes down
// broker 3 after checking in the metadata that it leads partitions of the topic.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "tests/faults/fault_env.h"
#include "tests/integration/integration_env.h"

namespace sluice::faults {
namespace {

constexpr uint64_t kCount = 60000;
constexpr int kPartitions = 8;
constexpr int kDownBroker = 3;
const char* const kTopic = "flights-kcombined";
const char* const kSink = "kcombined";

/// Partition id -> leader broker id from a metadata request; empty and *error on failure.
std::vector<int> PartitionLeaders(const std::string& brokers, const std::string& topic, std::string* error) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    *error = errstr;
    rd_kafka_conf_destroy(conf);
    return {};
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    *error = errstr;
    return {};
  }
  std::vector<int> leaders;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = rd_kafka_err2str(err);
  } else if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = "topic not in the metadata";
  } else {
    leaders.assign(md->topics[0].partition_cnt, -1);
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
      const rd_kafka_metadata_partition_t& p = md->topics[0].partitions[i];
      if (p.id >= 0 && p.id < static_cast<int>(leaders.size())) leaders[p.id] = p.leader;
    }
  }
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return leaders;
}

/// A group name whose mock coordinator is broker index 1 (see the file comment).
std::string GroupOnBrokerIndex1() {
  for (int i = 0;; ++i) {
    const std::string g = "g-kcombined-" + std::to_string(i);
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(g.data()), static_cast<uInt>(g.size()));
    if (crc % 3 == 1) return g;
  }
}

bool Ok(const std::string& answer) { return answer.rfind("ok", 0) == 0; }

// This test found a product bug (it was disabled until the fix): the group's committed offset of
// one partition could end behind its end (seen: 7147 of 7474) although the final commit on Close
// succeeded. An auto-commit of older stored offsets that met a pushed OffsetCommit error is
// re-sent by librdkafka after retry.backoff.ms, i.e. after the final commit, and librdkafka's own
// commit at consumer_close skips the partition because it believes the final offset committed.
// KafkaSource::Close now checks each partition's commit result, reads the committed offsets back
// once such retries are over and commits again where they went back
// (tests/kafka_source/kafka_source_test.cpp reproduces the race deterministically).
TEST(KafkaCombinedFaults, LeaderDownFiveSecondsAndFailingFetchesAndCommitsLoseNothing) {
  FaultProcesses procs;
  ASSERT_NO_FATAL_FAILURE(
      StartFaultProcesses(FaultSetup(3).Topic(kTopic, kPartitions).Flights(kCount, 8803), &procs));
  auto& [kafka, emulator] = procs;
  std::string error;
  const std::string dir = MakeTempDir();
  const std::string report_path = dir + "/report.json";
  const std::string group = GroupOnBrokerIndex1();

  const std::vector<int> leaders = PartitionLeaders(kafka->bootstrap(), kTopic, &error);
  ASSERT_EQ(leaders.size(), static_cast<size_t>(kPartitions)) << error;
  int led = 0;
  std::string leader_text;
  for (int l : leaders) {
    led += l == kDownBroker;
    leader_text += std::to_string(l) + " ";
  }
  std::printf("[ info ] partition leaders: %s; group %s (coordinator broker 2); taking down broker %d\n",
              leader_text.c_str(), group.c_str(), kDownBroker);
  ASSERT_GT(led, 0) << "broker " << kDownBroker << " leads no partition; taking it down would test nothing";

  testing::ProcessOptions run = SluiceKafkaRun(*emulator, kSink, kafka->bootstrap(), kTopic, group);
  // Small prefetch and in-flight bounds plus a sink-side rate keep the consumer fetching (and
  // committing every 200 ms) for the whole run (~15 s) instead of holding the topic in memory.
  run.argv.insert(run.argv.end(), {"--until-caught-up", "--report", report_path, "--commit-interval-ms", "200",
                                   "--max-inflight-records", "2000", "--rate-limit", "4000/s", "-X",
                                   "queued.max.messages.kbytes=64", "-X", "queued.min.messages=100"});
  std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(run, &error);
  ASSERT_NE(p, nullptr) << error;

  // One control loop (the mock's stdin is not shared): an error for the next Fetch and for the
  // next OffsetCommit every 2 s (~1 in 10 of the commits at a 200 ms interval). An error every
  // 250 ms starved the consumer completely: after a failed fetch librdkafka backs off, so a
  // queued error met nearly every fetch and nothing was delivered in 2 minutes.
  // and broker 3 down for 5 s once a quarter of the ids arrived.
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto next_fetch_error = start, next_commit_error = start;
  Clock::time_point down_since{};
  bool was_down = false, is_down = false;
  int fetch_errors = 0, commit_errors = 0;
  uint64_t ids_at_down = 0;
  while (p->Running() && Clock::now() - start < std::chrono::seconds(150)) {
    const auto now = Clock::now();
    if (now >= next_fetch_error) {
      EXPECT_TRUE(Ok(kafka->Command(fetch_errors % 2 ? "push-errors Fetch 7 1" : "push-errors Fetch 6 1")));
      ++fetch_errors;
      next_fetch_error = now + std::chrono::seconds(2);
    }
    if (now >= next_commit_error) {
      EXPECT_TRUE(
          Ok(kafka->Command(commit_errors % 2 ? "push-errors OffsetCommit 7 1" : "push-errors OffsetCommit 15 1")));
      ++commit_errors;
      next_commit_error = now + std::chrono::seconds(2);
    }
    if (!was_down && emulator->Stats(kSink).distinct_ids >= kCount / 4) {
      ids_at_down = emulator->Stats(kSink).distinct_ids;
      EXPECT_TRUE(Ok(kafka->Command("broker-down " + std::to_string(kDownBroker))));
      was_down = is_down = true;
      down_since = now;
    }
    if (is_down && now - down_since >= std::chrono::seconds(5)) {
      EXPECT_TRUE(Ok(kafka->Command("broker-up " + std::to_string(kDownBroker))));
      is_down = false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (is_down) {
    kafka->Command("broker-up " + std::to_string(kDownBroker));
    ADD_FAILURE() << "sluice finished while broker " << kDownBroker << " was still down";
  }
  EXPECT_TRUE(was_down) << "the run finished before a quarter of the ids arrived?";
  EXPECT_LT(ids_at_down, kCount) << "the broker went down after the run; nothing was tested";

  testing::ProcessResult r = p->Wait(30000);
  const RunReport report = ParseReport(ReadFileText(report_path));
  const SinkStats stats = emulator->Stats(kSink);
  EXPECT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.all().find(kPassword), std::string::npos);
  EXPECT_TRUE(report.parsed) << ReadFileText(report_path);
  EXPECT_EQ(stats.distinct_ids, kCount) << "records lost under Kafka faults\n" << r.err;
  EXPECT_EQ(report.delivered, static_cast<int64_t>(kCount));

  const std::vector<int64_t> committed = it::CommittedOffsets(kafka->bootstrap(), group, kTopic, kPartitions, &error);
  ASSERT_EQ(committed.size(), static_cast<size_t>(kPartitions)) << error;
  const std::vector<int64_t> ends = it::HighWatermarks(kafka->bootstrap(), kTopic, kPartitions, &error);
  ASSERT_EQ(ends.size(), static_cast<size_t>(kPartitions)) << error;
  int64_t end_total = 0;
  for (int i = 0; i < kPartitions; ++i) {
    EXPECT_EQ(committed[i], ends[i]) << "partition " << i << ": committed offset is not the end of the partition";
    end_total += ends[i];
  }
  EXPECT_EQ(end_total, static_cast<int64_t>(kCount));
  std::printf("[ kafka-combined ] sent %llu  distinct %llu  duplicates %llu  broker %d down 5 s at %llu ids  "
              "queued errors: %d Fetch, %d OffsetCommit  committed == end on all %d partitions\n",
              static_cast<unsigned long long>(kCount), static_cast<unsigned long long>(stats.distinct_ids),
              static_cast<unsigned long long>(stats.duplicates), kDownBroker,
              static_cast<unsigned long long>(ids_at_down), fetch_errors, commit_errors, kPartitions);
  PrintTableLine("kafka leader-down+errors", kCount, stats, report);
}

}  // namespace
}  // namespace sluice::faults
