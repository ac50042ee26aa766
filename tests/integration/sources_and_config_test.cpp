// Non-Kafka sources and configuration errors, with the real executables: NDJSON from a plain
// file, a gzip file and stdin reaches the sink emulator exactly; bad configurations stop with
// exit status 2 and a message naming the problem before anything is read or sent. The
// password given to sluice's environment must never appear in its output.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <cstdio>

#include "tests/integration/integration_env.h"

namespace sluice::it {
namespace {

constexpr int kRunTimeoutMs = 100000;

class SourcesAndConfig : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    emulator_ = EmulatorProcess::Start(kAccount, &error).release();
    ASSERT_NE(emulator_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    delete emulator_;
    emulator_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(emulator_, nullptr);
    dir_ = MakeTempDir();
  }
  void TearDown() override { RemoveTree(dir_); }

  /// Writes `count` flights (seed) with sluice-fake-flights --output.
  void Generate(const std::string& path, uint64_t count, uint64_t seed) {
    testing::ProcessOptions gen;
    gen.argv = {BinDir() + "/sluice-fake-flights", "--output", path, "--count", std::to_string(count), "--seed",
                std::to_string(seed)};
    testing::ProcessResult g = testing::RunProcess(gen, 60000);
    ASSERT_EQ(g.exit_code, 0) << g.err;
  }

  void LoadAndCheck(const std::string& source, const std::string& stdin_path, const std::string& sink, uint64_t count,
                    uint64_t seed) {
    SluiceRun run = FileRun(*emulator_, sink, source);
    run.stdin_path = stdin_path;
    run.args.insert(run.args.end(), {"--report", dir_ + "/" + sink + ".json"});
    testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
    ASSERT_FALSE(r.timed_out) << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";
    EXPECT_EQ(JsonIntField(ReadFileText(dir_ + "/" + sink + ".json"), "delivered"), static_cast<int64_t>(count));
    ExpectedRows expected;
    ASSERT_TRUE(expected.ok()) << expected.error();
    ASSERT_TRUE(expected.AddGenerated(seed, count)) << expected.error();
    SinkStats stats = emulator_->Stats(sink);
    ASSERT_TRUE(stats.ok);
    EXPECT_EQ(stats.distinct_ids, count);
    EXPECT_EQ(stats.duplicates, 0u);
    EXPECT_EQ(CompareRows(emulator_->Rows(sink), expected.rows()), "");
  }

  static EmulatorProcess* emulator_;
  std::string dir_;
};

EmulatorProcess* SourcesAndConfig::emulator_ = nullptr;

TEST_F(SourcesAndConfig, PlainNdjsonFileLoadsExactly) {
  Generate(dir_ + "/plain.ndjson", 7000, 31);
  LoadAndCheck("file:" + dir_ + "/plain.ndjson", "", "file-plain", 7000, 31);
}

TEST_F(SourcesAndConfig, GzipNdjsonFileLoadsExactly) {
  Generate(dir_ + "/flights.ndjson.gz", 6000, 32);
  // The writer really compressed it (gzip magic), so the source really decompressed it.
  const std::string bytes = ReadFileText(dir_ + "/flights.ndjson.gz");
  ASSERT_GE(bytes.size(), 2u);
  ASSERT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);
  ASSERT_EQ(static_cast<unsigned char>(bytes[1]), 0x8b);
  LoadAndCheck("file:" + dir_ + "/flights.ndjson.gz", "", "file-gz", 6000, 32);
}

TEST_F(SourcesAndConfig, StdinLoadsExactly) {
  Generate(dir_ + "/stdin.ndjson", 5000, 33);
  LoadAndCheck("stdin", dir_ + "/stdin.ndjson", "stdin", 5000, 33);
}

/// Runs a configuration that must be refused: exit 2, `expect_in_message` on stderr, no
/// password anywhere, nothing sent to the sink and nothing committed in the group.
class ConfigErrors : public SourcesAndConfig {
 protected:
  static void SetUpTestSuite() {
    SourcesAndConfig::SetUpTestSuite();
    std::string error;
    kafka_ = MockKafkaProcess::Start({.brokers = 0, .topic = "cfg", .partitions = 2}, &error).release();
    ASSERT_NE(kafka_, nullptr) << error;
    testing::ProcessResult p = ProduceFlights(kafka_->bootstrap(), "cfg", 100, 5);
    ASSERT_EQ(p.exit_code, 0) << p.err;
  }
  static void TearDownTestSuite() {
    delete kafka_;
    kafka_ = nullptr;
    SourcesAndConfig::TearDownTestSuite();
  }

  void ExpectRefused(SluiceRun run, const std::string& sink, const std::string& group,
                     const std::vector<std::string>& expect_in_message) {
    ASSERT_NE(kafka_, nullptr);
    testing::ProcessResult r = testing::RunProcess(run.Options(), 30000);
    ASSERT_FALSE(r.timed_out) << r.err;
    EXPECT_EQ(r.exit_code, 2) << r.all();
    for (const auto& want : expect_in_message)
      EXPECT_NE(r.err.find(want), std::string::npos) << "expected \"" << want << "\" in:\n" << r.err;
    EXPECT_EQ(r.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";
    SinkStats stats = emulator_->Stats(sink);
    ASSERT_TRUE(stats.ok);
    EXPECT_EQ(stats.requests, 0u);
    std::string error;
    std::vector<int64_t> committed = CommittedOffsets(kafka_->bootstrap(), group, "cfg", 2, &error);
    ASSERT_EQ(committed.size(), 2u) << error;
    for (int64_t c : committed) EXPECT_EQ(c, RD_KAFKA_OFFSET_INVALID);
  }

  static MockKafkaProcess* kafka_;
};

MockKafkaProcess* ConfigErrors::kafka_ = nullptr;

TEST_F(ConfigErrors, UnknownKafkaPropertyIsRefusedByName) {
  SluiceRun run = KafkaRun(*emulator_, "cfg-x", kafka_->bootstrap(), "cfg", "g-cfg-x");
  run.args.insert(run.args.end(), {"--until-caught-up", "-X", "no.such.property=1"});
  ExpectRefused(run, "cfg-x", "g-cfg-x", {"no.such.property"});
}

TEST_F(ConfigErrors, SecretKafkaPropertyValueIsNeverEchoed) {
  // A secret property with a bad companion: whatever the complaint, the value stays hidden.
  SluiceRun run = KafkaRun(*emulator_, "cfg-secret", kafka_->bootstrap(), "cfg", "g-cfg-secret");
  run.args.insert(run.args.end(),
                  {"--until-caught-up", "-X", std::string("sasl.password=") + kPassword, "-X", "no.such.thing=2"});
  ExpectRefused(run, "cfg-secret", "g-cfg-secret", {"no.such.thing"});
}

TEST_F(ConfigErrors, MissingSchemaIsRefused) {
  SluiceRun run = KafkaRun(*emulator_, "cfg-noschema", kafka_->bootstrap(), "cfg", "g-cfg-noschema");
  // Drop "--schema PATH" from the standard arguments.
  for (size_t i = 0; i + 1 < run.args.size(); ++i) {
    if (run.args[i] == "--schema") {
      run.args.erase(run.args.begin() + static_cast<std::ptrdiff_t>(i), run.args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
      break;
    }
  }
  run.args.insert(run.args.end(), {"--until-caught-up"});
  ExpectRefused(run, "cfg-noschema", "g-cfg-noschema", {"--schema"});
}

TEST_F(ConfigErrors, SchemaWithATypoIsRefusedNamingFileAndEntry) {
  const std::string bad = dir_ + "/bad-schema.json";
  WriteFileText(bad, "[{\"name\":\"_id\",\"path\":[\"flight_id\"]},{\"name\":\"airline\",\"paht\":[\"airline\"]}]\n");
  SluiceRun run = KafkaRun(*emulator_, "cfg-badschema", kafka_->bootstrap(), "cfg", "g-cfg-badschema");
  for (size_t i = 0; i + 1 < run.args.size(); ++i)
    if (run.args[i] == "--schema") run.args[i + 1] = bad;
  // Without the table (whose columns the bad schema lacks), so the error is about the schema.
  for (size_t i = 0; i + 1 < run.args.size(); ++i) {
    if (run.args[i] == "--table") {
      run.args.erase(run.args.begin() + static_cast<std::ptrdiff_t>(i), run.args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
      break;
    }
  }
  run.args.insert(run.args.end(), {"--until-caught-up"});
  ExpectRefused(run, "cfg-badschema", "g-cfg-badschema", {"bad-schema.json", "paht"});
}

TEST_F(ConfigErrors, SchemaThatIsNotJsonIsRefused) {
  const std::string bad = dir_ + "/not-json.json";
  WriteFileText(bad, "[{\"name\": \"_id\", \"path\": [\"flight_id\"]\n");
  SluiceRun run = KafkaRun(*emulator_, "cfg-notjson", kafka_->bootstrap(), "cfg", "g-cfg-notjson");
  for (size_t i = 0; i + 1 < run.args.size(); ++i)
    if (run.args[i] == "--schema") run.args[i + 1] = bad;
  run.args.insert(run.args.end(), {"--until-caught-up"});
  ExpectRefused(run, "cfg-notjson", "g-cfg-notjson", {"not-json.json"});
}

// KNOWN PRODUCT BUG (fails today): --schema is declared with CLI::ExistingFile, so CLI11 refuses
// a missing file during parsing and CLI11_PARSE in tools/sluice/main.cpp exits with CLI11's own
// code 105 (ValidationError) instead of sluice's configuration-error status 2. The message
// itself names the file.
TEST_F(ConfigErrors, SchemaFileThatDoesNotExistIsRefused) {
  SluiceRun run = KafkaRun(*emulator_, "cfg-nofile", kafka_->bootstrap(), "cfg", "g-cfg-nofile");
  for (size_t i = 0; i + 1 < run.args.size(); ++i)
    if (run.args[i] == "--schema") run.args[i + 1] = dir_ + "/no-such-schema.json";
  run.args.insert(run.args.end(), {"--until-caught-up"});
  ExpectRefused(run, "cfg-nofile", "g-cfg-nofile", {"no-such-schema.json"});
}

// The row check itself: a single changed value, a missing row and an extra row are all caught,
// so the exact-row assertions above cannot pass vacuously.
TEST(RowCheck, DetectsChangedMissingAndExtraRows) {
  ExpectedRows expected;
  ASSERT_TRUE(expected.ok()) << expected.error();
  ASSERT_TRUE(expected.Add(R"({"airline":"A","stops":1,"price":641,"flight_id":7,"origin":{"iata":"FCO"}})"));
  const std::string good = R"({"_id":7,"airline":"A","stops":"1","price":641.00,"origin_iata":"FCO"})";
  EXPECT_EQ(CompareRows(good + "\n", expected.rows()), "");
  EXPECT_NE(CompareRows(R"({"_id":7,"airline":"A","stops":1,"price":641.00,"origin_iata":"FCO"})", expected.rows()), "");
  EXPECT_NE(CompareRows(R"({"_id":7,"airline":"A","stops":"1","price":641.0,"origin_iata":"FCO"})", expected.rows()), "");
  EXPECT_NE(CompareRows(R"({"_id":7,"airline":"A","stops":"1","price":641.00})", expected.rows()), "");
  EXPECT_NE(CompareRows("", expected.rows()), "");
  EXPECT_NE(CompareRows(good + "\n" + R"({"_id":8,"airline":"B"})", expected.rows()), "");
}

}  // namespace
}  // namespace sluice::it
