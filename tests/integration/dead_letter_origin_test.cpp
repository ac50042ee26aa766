// Dead letters end to end, real executables over TCP (sluice-mock-kafka, sluice, the sink
// emulator, kcat): a dead letter keeps the source message's key, its headers (sluice's own
// sluice.* beside them) and a null value apart from an empty one, for parse, map and sink
// rejections, in the Kafka DLQ (read back with kcat -J) and in the file DLQ (NDJSON, created
// 0600); the file DLQ is fdatasync'ed before the offsets past its records are committed
// (observed with strace while the run goes on); tombstones without --dlq stop the run naming
// the null value, and --skip-tombstones acknowledges and counts them.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/integration/integration_env.h"

namespace sluice::it {
namespace {

constexpr int kRunTimeoutMs = 100000;

/// One Kafka or NDJSON dead letter, decoded: nullopt marks a null key/value/header value.
using Letter = KafkaMessage;
using testing::ForEachJsonLine;
using testing::OptionalString;

/// File DLQ lines: {"key":..,"headers":[{"name","value"}],"value":..} (all UTF-8 here).
std::vector<Letter> ParseDeadLetterFile(const std::string& text, std::string* error) {
  std::vector<Letter> out;
  const auto every_line = [](const std::string&) { return true; };
  const bool ok = ForEachJsonLine(text, error, every_line, [&](simdjson::dom::element doc, const std::string& line) {
    Letter l;
    if (doc["key"].error() || doc["headers"].error() || doc["value"].error()) {
      *error = "a dead letter without key/headers/value: " + line;
      return false;
    }
    l.key = OptionalString(doc["key"]);
    l.value = OptionalString(doc["value"]);
    for (simdjson::dom::element h : doc["headers"].get_array()) {
      l.headers.emplace_back(OptionalString(h["name"]).value_or("<null name>"), OptionalString(h["value"]));
    }
    int64_t offset = -1;
    std::string_view stage, reason;
    if (doc["offset"].get_int64().get(offset) || doc["stage"].get_string().get(stage) ||
        doc["reason"].get_string().get(reason)) {
      *error = "a dead letter without offset/stage/reason: " + line;
      return false;
    }
    // Shaped like the Kafka letters' sluice.* headers so both destinations are checked alike.
    l.headers.emplace_back("sluice.offset", std::to_string(offset));
    l.headers.emplace_back("sluice.stage", std::string(stage));
    l.headers.emplace_back("sluice.reason", std::string(reason));
    out.push_back(std::move(l));
    return true;
  });
  if (!ok) out.clear();
  return out;
}

class DeadLetterOrigin : public IntegrationSuite<DeadLetterOrigin> {
 protected:
  static void SetUpTestSuite() { StartShared(SuiteSetup::EmulatorPerTest()); }
  void SetUp() override {
    if (!HaveKcat()) GTEST_SKIP() << "kcat not installed";
    IntegrationSuite::SetUp();
  }

  /// Produces `lines` (KEY:VALUE per line with keyed) to partition 0 of `topic`.
  void Produce(const std::string& topic, const std::string& lines, std::vector<std::string> extra) {
    std::vector<std::string> args = {"-P", "-b", kafka_->bootstrap(), "-t", topic, "-p", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    testing::ProcessResult r = Kcat(args, lines, dir_, 60000);
    ASSERT_EQ(r.exit_code, 0) << r.all();
  }
};

// Offsets of the source topic and what each dead letter must carry.
constexpr int64_t kBadJson = 10;    // key k-bad, headers trace=t-10, tenant=acme
constexpr int64_t kTombstone = 11;  // key k-tomb, header trace=t-11, null value
constexpr int64_t kEmpty = 12;      // key k-empty, no headers, empty value
constexpr int64_t kNoKey = 13;      // no key, no headers, invalid JSON
constexpr uint64_t kSinkRejectedId = 1005;  // offset 18: key g1005, header src=fleet

class DeadLetterOriginMixed : public DeadLetterOrigin {
 protected:
  void ProduceMixed(const std::string& topic) {
    ASSERT_EQ(kafka_->CreateTopic(topic, 1), "");
    Produce(topic, KeyedFlights(1, 10, "g"), {"-K:", "-H", "src=fleet"});  // offsets 0-9
    Produce(topic, "k-bad:{\"flight_id\": 77, \"price\":\n", {"-K:", "-H", "trace=t-10", "-H", "tenant=acme"});
    Produce(topic, "k-tomb:\n", {"-K:", "-Z", "-H", "trace=t-11"});      // -Z: empty is sent as NULL
    Produce(topic, "k-empty:\n", {"-K:"});
    Produce(topic, "{no key and no json\n", {});
    Produce(topic, KeyedFlights(1001, 10, "g"), {"-K:", "-H", "src=fleet"});  // offsets 14-23
  }

  /// The five dead letters of the mixed topic, by source offset.
  void CheckLetters(const std::vector<Letter>& letters, bool kafka) {
    ASSERT_EQ(letters.size(), 5u);
    std::map<int64_t, const Letter*> by_offset;
    for (const Letter& l : letters) by_offset[std::stoll(l.Header("sluice.offset"))] = &l;
    ASSERT_EQ(by_offset.size(), 5u);
    ASSERT_TRUE(by_offset.count(kBadJson) && by_offset.count(kTombstone) && by_offset.count(kEmpty) &&
                by_offset.count(kNoKey) && by_offset.count(18));

    const Letter& bad = *by_offset[kBadJson];
    EXPECT_EQ(bad.key, std::optional<std::string>("k-bad"));
    ASSERT_TRUE(bad.value.has_value());
    EXPECT_EQ(*bad.value, "{\"flight_id\": 77, \"price\":");
    EXPECT_EQ(bad.Header("trace"), "t-10");
    EXPECT_EQ(bad.Header("tenant"), "acme");
    EXPECT_EQ(bad.Header("sluice.stage"), "parse");
    if (kafka) {
      // The original headers first, in order, then sluice's own.
      EXPECT_EQ(bad.HeaderNames(), (std::vector<std::string>{"trace", "tenant", "sluice.reason", "sluice.stage",
                                                             "sluice.topic", "sluice.partition", "sluice.offset"}));
    }

    const Letter& tomb = *by_offset[kTombstone];
    EXPECT_EQ(tomb.key, std::optional<std::string>("k-tomb"));
    EXPECT_FALSE(tomb.value.has_value()) << "a tombstone must stay a null value, got \"" << tomb.value.value_or("")
                                         << "\"";
    EXPECT_EQ(tomb.Header("trace"), "t-11");
    EXPECT_NE(tomb.Header("sluice.reason").find("null value (tombstone)"), std::string::npos)
        << tomb.Header("sluice.reason");

    const Letter& empty = *by_offset[kEmpty];
    EXPECT_EQ(empty.key, std::optional<std::string>("k-empty"));
    EXPECT_EQ(empty.value, std::optional<std::string>("")) << "an empty value is not null";
    EXPECT_EQ(empty.Header("trace"), "<absent>");

    const Letter& no_key = *by_offset[kNoKey];
    EXPECT_FALSE(no_key.key.has_value());
    EXPECT_EQ(no_key.value, std::optional<std::string>("{no key and no json"));

    const Letter& sink = *by_offset[18];
    EXPECT_EQ(sink.key, std::optional<std::string>("g" + std::to_string(kSinkRejectedId)));
    EXPECT_EQ(sink.Header("src"), "fleet");
    EXPECT_EQ(sink.Header("sluice.stage"), "sink");
    ASSERT_TRUE(sink.value.has_value());
    EXPECT_NE(sink.value->find(std::to_string(kSinkRejectedId)), std::string::npos) << *sink.value;
  }
};

TEST_F(DeadLetterOriginMixed, KafkaDeadLettersKeepKeyHeadersAndNullValue) {
  const std::string topic = "origin-kafka";
  ProduceMixed(topic);
  ASSERT_EQ(kafka_->CreateTopic("origin-dlq", 1), "");
  ASSERT_TRUE(emulator_->SetFaults("{\"reject_ids\":[" + std::to_string(kSinkRejectedId) + "]}"));
  SluiceRun run = KafkaRun(*emulator_, "s-origin-kafka", kafka_->bootstrap(), topic, "g-origin-kafka");
  run.args.insert(run.args.end(), {"--until-caught-up", "--dlq", "kafka:origin-dlq", "--report", dir_ + "/r.json"});
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  const std::string report = ReadFileText(dir_ + "/r.json");
  EXPECT_EQ(ReportInt(report, "delivered"), 19) << report;
  EXPECT_EQ(ReportInt(report, "dead_lettered"), 5) << report;

  testing::ProcessResult read =
      Kcat({"-C", "-J", "-e", "-q", "-o", "beginning", "-b", kafka_->bootstrap(), "-t", "origin-dlq"}, "", dir_, 60000);
  ASSERT_EQ(read.exit_code, 0) << read.all();
  std::string error;
  std::vector<Letter> letters = ParseKcatJson(read.out, &error);
  ASSERT_EQ(error, "");
  CheckLetters(letters, /*kafka=*/true);
}

TEST_F(DeadLetterOriginMixed, FileDeadLettersKeepKeyHeadersAndNullValueInAnOwnerOnlyFile) {
  const std::string topic = "origin-file";
  ProduceMixed(topic);
  ASSERT_TRUE(emulator_->SetFaults("{\"reject_ids\":[" + std::to_string(kSinkRejectedId) + "]}"));
  const std::string dlq = dir_ + "/dead.ndjson";
  SluiceRun run = KafkaRun(*emulator_, "s-origin-file", kafka_->bootstrap(), topic, "g-origin-file");
  run.args.insert(run.args.end(), {"--until-caught-up", "--dlq", "file:" + dlq});
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  ASSERT_EQ(r.exit_code, 0) << r.all();

  struct stat st {};
  ASSERT_EQ(::stat(dlq.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "record values are data people protect";
  std::string error;
  std::vector<Letter> letters = ParseDeadLetterFile(ReadFileText(dlq), &error);
  ASSERT_EQ(error, "");
  CheckLetters(letters, /*kafka=*/false);
}

TEST_F(DeadLetterOrigin, TombstonesStopTheRunNamingTheNullValueOrAreSkippedAndCounted) {
  const std::string topic = "tombstones";
  ASSERT_EQ(kafka_->CreateTopic(topic, 1), "");
  Produce(topic, KeyedFlights(1, 5, "g"), {"-K:"});     // offsets 0-4
  Produce(topic, "gone-1:\ngone-2:\n", {"-K:", "-Z"});  // offsets 5-6: tombstones
  Produce(topic, KeyedFlights(6, 5, "g"), {"-K:"});     // offsets 7-11

  SluiceRun stop = KafkaRun(*emulator_, "s-tomb-stop", kafka_->bootstrap(), topic, "g-tomb-stop");
  stop.args.insert(stop.args.end(), {"--until-caught-up"});
  testing::ProcessResult r1 = testing::RunProcess(stop.Options(), kRunTimeoutMs);
  EXPECT_NE(r1.exit_code, 0) << r1.all();
  EXPECT_NE(r1.err.find("null value (tombstone)"), std::string::npos) << r1.err;
  EXPECT_EQ(r1.err.find("no JSON found"), std::string::npos) << r1.err;

  SluiceRun skip = KafkaRun(*emulator_, "s-tomb-skip", kafka_->bootstrap(), topic, "g-tomb-skip");
  skip.args.insert(skip.args.end(), {"--until-caught-up", "--skip-tombstones", "--report", dir_ + "/skip.json"});
  testing::ProcessResult r2 = testing::RunProcess(skip.Options(), kRunTimeoutMs);
  ASSERT_EQ(r2.exit_code, 0) << r2.all();
  const std::string report = ReadFileText(dir_ + "/skip.json");
  EXPECT_EQ(ReportInt(report, "skipped_tombstones"), 2) << report;
  EXPECT_EQ(ReportInt(report, "delivered"), 10) << report;
  EXPECT_EQ(ReportInt(report, "rejected"), 0) << report;
  EXPECT_EQ(emulator_->Stats("s-tomb-skip").distinct_ids, 10u);
  std::string error;
  std::vector<int64_t> committed = CommittedOffsets(kafka_->bootstrap(), "g-tomb-skip", topic, 1, &error);
  ASSERT_EQ(committed.size(), 1u) << error;
  EXPECT_EQ(committed[0], 12);
}

// The file DLQ is synced to disk before the offsets past its records are committed: while the
// run goes on (no --until-caught-up), once the group's committed offset has passed the
// dead-lettered record, the process must already have called fdatasync.
TEST_F(DeadLetterOrigin, FileDeadLettersAreSyncedBeforeTheirOffsetsAreCommitted) {
  if (testing::RunProcess({{"/usr/bin/env", "strace", "-V"}, {}, ""}, 10000).exit_code != 0) {
    GTEST_SKIP() << "strace not installed";
  }
  const std::string topic = "synced";
  ASSERT_EQ(kafka_->CreateTopic(topic, 1), "");
  Produce(topic, KeyedFlights(1, 5, "g"), {"-K:"});  // offsets 0-4
  Produce(topic, "bad:{not json\n", {"-K:"});   // offset 5
  Produce(topic, KeyedFlights(6, 5, "g"), {"-K:"});  // offsets 6-10

  const std::string dlq = dir_ + "/dead.ndjson";
  const std::string trace = dir_ + "/strace.log";
  SluiceRun run = KafkaRun(*emulator_, "s-synced", kafka_->bootstrap(), topic, "g-synced");
  run.args.insert(run.args.end(), {"--dlq", "file:" + dlq, "--commit-interval-ms", "100"});
  testing::ProcessOptions o = run.Options();
  // execve too: its line names the traced sluice's pid, which gets the SIGTERM (a SIGTERM to
  // strace would only detach it and leave sluice running).
  o.argv.insert(o.argv.begin(), {"/usr/bin/env", "strace", "-f", "-qq", "-e", "trace=execve,fdatasync", "-o", trace});
  std::string error;
  std::unique_ptr<testing::Subprocess> child = testing::Subprocess::Start(o, &error);
  ASSERT_NE(child, nullptr) << error;

  int64_t committed = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (committed < 11 && child->Running() && std::chrono::steady_clock::now() < deadline) {
    std::vector<int64_t> c = CommittedOffsets(kafka_->bootstrap(), "g-synced", topic, 1, &error);
    if (c.size() == 1) committed = c[0];
    if (committed < 11) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Read what strace saw while the run still goes on (before SIGTERM starts the shutdown).
  const std::string seen = ReadFileText(trace);
  const size_t exec = seen.find(" execve(");
  const pid_t sluice_pid = exec == std::string::npos ? 0 : static_cast<pid_t>(std::atoi(seen.c_str()));
  if (sluice_pid > 0) ::kill(sluice_pid, SIGTERM);
  testing::ProcessResult r = child->Wait(60000);
  ASSERT_GT(sluice_pid, 0) << seen;
  ASSERT_EQ(committed, 11) << r.all();
  EXPECT_NE(seen.find("fdatasync("), std::string::npos)
      << "offset 11 (past the dead letter at 5) was committed before the dead-letter file was synced:\n"
      << seen;
  EXPECT_NE(ReadFileText(dlq).find("\"offset\":5"), std::string::npos);
}

}  // namespace
}  // namespace sluice::it
