// Tests for app/schema: `sluice schema check` on NDJSON files and on a Kafka topic of an
// in-process mock cluster, `sluice schema ddl`, and the CLI11 wiring.
#include <unistd.h>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/schema/schema_command.h"
#include "devtools/fake_flights/flight_producer.h"
#include "devtools/mock_kafka/mock_cluster.h"
#include "tests/schema/flight_samples.h"
#include "tests/testing/temp_files.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;
using schema_samples::ExamplesDir;
using testing::TempDir;

constexpr char kSchema[] = R"json([
  {"name": "name", "path": ["n"]},
  {"name": "price", "path": ["p"], "type": "decimal(2)"},
  {"name": "_id", "path": ["id"], "type": "id"}
])json";

TEST(SchemaCheck, PrintsMappedRowsAndRejectionsWithLineNumbers) {
  TempDir dir("schema-cmd");
  const std::string schema = dir.Write("schema.json", kSchema);
  const std::string sample = dir.Write("sample.ndjson",
                                       "{\"id\":1,\"n\":\"a\",\"p\":5}\n"
                                       "\n"
                                       "{\"id\":2,\"n\":\"b\",\"p\":\"1.5\",\"extra\":[1]}\n"
                                       "{\"id\":3,\"n\":\"c\",\"p\":1.005}\n"
                                       "{\"n\":\"no id\"}\n"
                                       "{\"id\":4,\n"
                                       "{\"id\":5,\"n\":7}\n");
  SchemaCheckOptions o;
  o.schema_file = schema;
  o.sample_file = sample;
  std::ostringstream out, err;
  EXPECT_EQ(SchemaCheckCommand(o, out, err), kSchemaExitMismatch);  // 3 samples were rejected
  EXPECT_EQ(out.str(),
            "{\"_id\":1,\"name\":\"a\",\"price\":5.00}\n"
            "{\"_id\":2,\"name\":\"b\",\"price\":1.50}\n"
            "{\"_id\":5,\"name\":\"7\"}\n");
  const std::string e = err.str();
  EXPECT_NE(e.find(sample + ":4: rejected: column \"price\": 1.005 has 3 fractional digits"), std::string::npos) << e;
  EXPECT_NE(e.find(sample + ":5: rejected: missing _id"), std::string::npos) << e;
  EXPECT_NE(e.find(sample + ":6: rejected: invalid JSON"), std::string::npos) << e;
  EXPECT_NE(e.find("schema check: 6 records: 3 mapped, 3 rejected"), std::string::npos) << e;
  EXPECT_NE(e.find("price <- [\"p\"] : decimal(2)"), std::string::npos) << e;
}

TEST(SchemaCheck, StopsAtLimit) {
  TempDir dir("schema-cmd");
  std::string lines;
  for (int i = 1; i <= 50; ++i) lines += "{\"id\":" + std::to_string(i) + ",\"n\":\"x\",\"p\":1}\n";
  SchemaCheckOptions o;
  o.schema_file = dir.Write("schema.json", kSchema);
  o.sample_file = dir.Write("s.ndjson", lines);
  o.limit = 7;
  std::ostringstream out, err;
  EXPECT_EQ(SchemaCheckCommand(o, out, err), kSchemaExitOk);
  std::string rows;
  for (int i = 1; i <= 7; ++i) rows += "{\"_id\":" + std::to_string(i) + ",\"name\":\"x\",\"price\":1.00}\n";
  EXPECT_EQ(out.str(), rows);
  EXPECT_NE(err.str().find("7 records: 7 mapped, 0 rejected"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("  name <- [\"n\"]: 7 of 7 samples\n"), std::string::npos) << err.str();
}

TEST(SchemaCheck, InvalidSchemaExitsTwoAndNamesTheProblem) {
  TempDir dir("schema-cmd");
  SchemaCheckOptions o;
  o.schema_file = dir.Write("schema.json", R"([{"name": "_id", "paht": ["id"]}])");
  o.sample_file = dir.Write("s.ndjson", "{\"id\":1}\n");
  std::ostringstream out, err;
  EXPECT_EQ(SchemaCheckCommand(o, out, err), kSchemaExitInvalid);
  EXPECT_EQ(out.str(), "");
  EXPECT_NE(err.str().find("invalid schema: "), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("paht"), std::string::npos) << err.str();
}

TEST(SchemaCheck, FlagProblemsExitTwo) {
  TempDir dir("schema-cmd");
  const std::string schema = dir.Write("schema.json", kSchema);
  std::ostringstream out, err;
  SchemaCheckOptions none;
  none.schema_file = schema;
  EXPECT_EQ(SchemaCheckCommand(none, out, err), kSchemaExitInvalid);  // no sample source
  SchemaCheckOptions missing = none;
  missing.sample_file = dir.Write("x", "") + ".does-not-exist";
  EXPECT_EQ(SchemaCheckCommand(missing, out, err), kSchemaExitInvalid);
  SchemaCheckOptions half = none;
  half.topic = "flights";
  EXPECT_EQ(SchemaCheckCommand(half, out, err), kSchemaExitInvalid);  // --topic without --brokers
  EXPECT_EQ(out.str(), "");
}

TEST(SchemaCheck, ReadsTheStartOfAKafkaTopic) {
  auto cluster = MockCluster::Create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const std::string brokers = (*cluster)->Bootstraps();
  ASSERT_TRUE((*cluster)->CreateTopic("flights", 3).ok());
  FlightProducerConfig pc;
  pc.brokers = brokers;
  pc.topic = "flights";
  pc.run.count = 40;
  pc.run.seed = 9;
  auto produced = ProduceFlightsToKafka(pc);
  ASSERT_TRUE(produced.ok()) << produced.status().ToString();

  SchemaCheckOptions o;
  o.schema_file = ExamplesDir() + "/schema.json";
  o.table_file = ExamplesDir() + "/table.json";
  o.brokers = brokers;
  o.topic = "flights";
  o.limit = 1000;
  std::ostringstream out, err;
  ASSERT_EQ(SchemaCheckCommand(o, out, err), kSchemaExitOk) << err.str();
  EXPECT_NE(err.str().find("40 records: 40 mapped, 0 rejected"), std::string::npos) << err.str();
  std::vector<bool> seen(41, false);
  std::istringstream rows(out.str());
  std::string row;
  int count = 0;
  while (std::getline(rows, row)) {
    ++count;
    ASSERT_EQ(row.rfind("{\"_id\":", 0), 0u) << row;
    const int id = std::stoi(row.substr(7));
    ASSERT_GE(id, 1);
    ASSERT_LE(id, 40);
    EXPECT_FALSE(seen[id]) << "duplicate " << id;
    seen[id] = true;
    EXPECT_NE(row.find(",\"price\":"), std::string::npos) << row;
    EXPECT_NE(row.find(".00,"), std::string::npos) << row;  // decimal(2) from an integer price
  }
  EXPECT_EQ(count, 40);

  // Reading again gives the same sample: nothing was committed or consumed for good.
  o.limit = 5;
  std::ostringstream out2, err2;
  ASSERT_EQ(SchemaCheckCommand(o, out2, err2), kSchemaExitOk) << err2.str();
  EXPECT_NE(err2.str().find("5 records: 5 mapped, 0 rejected"), std::string::npos) << err2.str();
}

// A payload ProduceToPartitionZero sends as a null value (a tombstone).
constexpr char kTombstone[] = "<tombstone>";

// Produces `payloads` in order to partition 0 of `topic` and waits for every delivery.
void ProduceToPartitionZero(const std::string& brokers, const std::string& topic,
                            const std::vector<std::string>& payloads) {
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof(errstr)), RD_KAFKA_CONF_OK);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  ASSERT_NE(rk, nullptr) << errstr;
  for (const std::string& p : payloads) {
    const bool tombstone = p == kTombstone;
    ASSERT_EQ(
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_VALUE(tombstone ? nullptr : const_cast<char*>(p.data()), tombstone ? 0 : p.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
        RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  EXPECT_EQ(rd_kafka_flush(rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(rk);
}

TEST(SchemaCheck, NamesPartitionAndOffsetOfRejectedKafkaMessages) {
  auto cluster = MockCluster::Create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const std::string brokers = (*cluster)->Bootstraps();
  ASSERT_TRUE((*cluster)->CreateTopic("mixed", 1).ok());
  ProduceToPartitionZero(brokers, "mixed",
                         {R"({"flight_id":1,"airline":"A","price":200})", R"({"flight_id":-2,"price":1})",
                          R"({"flight_id":3,"price":"cheap"})", R"({"flight_id":4})"});
  SchemaCheckOptions o;
  o.schema_file = ExamplesDir() + "/schema.json";
  o.table_file = ExamplesDir() + "/table.json";
  o.brokers = brokers;
  o.topic = "mixed";
  std::ostringstream out, err;
  ASSERT_EQ(SchemaCheckCommand(o, out, err), kSchemaExitMismatch) << err.str();
  EXPECT_EQ(out.str(), "{\"_id\":1,\"airline\":\"A\",\"price\":200.00}\n{\"_id\":4}\n");
  const std::string e = err.str();
  EXPECT_NE(e.find("mixed partition 0 offset 1: rejected: "), std::string::npos) << e;
  EXPECT_NE(e.find("mixed partition 0 offset 2: rejected: column \"price\": "), std::string::npos) << e;
  EXPECT_NE(e.find("4 records: 2 mapped, 2 rejected"), std::string::npos) << e;
}

TEST(SchemaCheck, CallsATombstoneATombstone) {
  auto cluster = MockCluster::Create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const std::string brokers = (*cluster)->Bootstraps();
  ASSERT_TRUE((*cluster)->CreateTopic("compacted", 1).ok());
  ProduceToPartitionZero(brokers, "compacted",
                         {R"({"flight_id":1,"airline":"A","price":200})", kTombstone, R"({"flight_id":3})"});
  SchemaCheckOptions o;
  o.schema_file = ExamplesDir() + "/schema.json";
  o.table_file = ExamplesDir() + "/table.json";
  o.brokers = brokers;
  o.topic = "compacted";
  o.allow_missing = true;
  std::ostringstream out, err;
  EXPECT_EQ(SchemaCheckCommand(o, out, err), kSchemaExitOk) << err.str();
  const std::string e = err.str();
  EXPECT_NE(e.find("compacted partition 0 offset 1: tombstone (null value)"), std::string::npos) << e;
  EXPECT_EQ(e.find("invalid JSON"), std::string::npos) << e;
  EXPECT_NE(e.find("2 records: 2 mapped, 0 rejected (and 1 tombstone)"), std::string::npos) << e;
  EXPECT_EQ(out.str(), "{\"_id\":1,\"airline\":\"A\",\"price\":200.00}\n{\"_id\":3}\n");
}

TEST(SchemaCheck, KafkaPropertiesComeFromFilesAndTheEnvironmentAsForRun) {
  auto cluster = MockCluster::Create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const std::string brokers = (*cluster)->Bootstraps();
  ASSERT_TRUE((*cluster)->CreateTopic("props", 1).ok());
  ProduceToPartitionZero(brokers, "props", {R"({"flight_id":1,"airline":"A","price":200})"});
  TempDir dir("schema-cmd");
  SchemaCheckOptions o;
  o.schema_file = ExamplesDir() + "/schema.json";
  o.table_file = ExamplesDir() + "/table.json";
  o.brokers = brokers;
  o.topic = "props";
  o.allow_missing = true;
  // key=@PATH: the value is the file's content (one trailing newline dropped).
  o.kafka_props = {"session.timeout.ms=@" + dir.Write("timeout", "7000\n")};
  std::ostringstream out, err;
  EXPECT_EQ(SchemaCheckCommand(o, out, err), kSchemaExitOk) << err.str();

  // SLUICE_KAFKA_<KEY>: read too, and a bad value is named by its variable, the value unquoted.
  o.kafka_props.clear();
  ASSERT_EQ(setenv("SLUICE_KAFKA_SESSION_TIMEOUT_MS", "not-a-number-4711", 1), 0);
  std::ostringstream out2, err2;
  const int code = SchemaCheckCommand(o, out2, err2);
  unsetenv("SLUICE_KAFKA_SESSION_TIMEOUT_MS");
  EXPECT_EQ(code, kSchemaExitInvalid) << err2.str();
  EXPECT_NE(err2.str().find("SLUICE_KAFKA_SESSION_TIMEOUT_MS"), std::string::npos) << err2.str();
  EXPECT_EQ(err2.str().find("not-a-number-4711"), std::string::npos) << err2.str();
}

TEST(SchemaCheck, UnknownTopicOrDeadBrokerExitsOne) {
  SchemaCheckOptions o;
  o.schema_file = ExamplesDir() + "/schema.json";
  o.table_file = ExamplesDir() + "/table.json";
  o.brokers = "127.0.0.1:1";  // nothing listens on port 1
  o.topic = "flights";
  o.timeout_ms = 1500;
  std::ostringstream out, err;
  EXPECT_EQ(SchemaCheckCommand(o, out, err), kSchemaExitReadFailed);
  EXPECT_NE(err.str().find("sluice schema check: "), std::string::npos) << err.str();
}

TEST(SchemaDdl, PrintsTheClickHouseTableForTheTutorialSchema) {
  SchemaDdlOptions o;
  o.schema_file = ExamplesDir() + "/schema.json";
  o.table_file = ExamplesDir() + "/table.json";
  o.target = "clickhouse";
  o.table_name = "db1.flights";
  std::ostringstream out, err;
  ASSERT_EQ(SchemaDdlCommand(o, out, err), kSchemaExitOk) << err.str();
  EXPECT_EQ(out.str(),
            "CREATE TABLE IF NOT EXISTS db1.flights (_id UInt64, airline String, stops String, "
            "price Decimal(18, 2), origin_airport String, origin_iata String, origin_icao String, "
            "origin_loc_city String, origin_loc_state String, origin_loc_country String, "
            "destination_airport String, destination_iata String, destination_icao String, "
            "destination_loc_city String, destination_loc_state String, destination_loc_country String) "
            "ENGINE = ReplacingMergeTree ORDER BY _id\n");
  SchemaDdlOptions plain = o;
  plain.table_name = "flights";
  std::ostringstream out2;
  ASSERT_EQ(SchemaDdlCommand(plain, out2, err), kSchemaExitOk);
  EXPECT_EQ(out2.str().rfind("CREATE TABLE IF NOT EXISTS flights (_id UInt64, ", 0), 0u) << out2.str();
}

TEST(SchemaDdl, RejectsUnknownTargetAndBadSchema) {
  TempDir dir("schema-cmd");
  SchemaDdlOptions o;
  o.schema_file = ExamplesDir() + "/schema.json";
  o.target = "postgres";
  std::ostringstream out, err;
  EXPECT_EQ(SchemaDdlCommand(o, out, err), kSchemaExitInvalid);
  o.target = "clickhouse";
  o.schema_file = dir.Write("s.json", "[]");
  EXPECT_EQ(SchemaDdlCommand(o, out, err), kSchemaExitInvalid);
  EXPECT_EQ(out.str(), "");
}

TEST(SchemaCommands, ParsesCheckAndDdlSubcommands) {
  {
    CLI::App app;
    auto schema = AddSchemaCommands(app);
    app.parse("schema check --schema s.json --sample-file x.ndjson --limit 3", /*program_name_included=*/false);
    EXPECT_TRUE(schema->Parsed());
    EXPECT_FALSE(schema->check_options.allow_missing);
    EXPECT_EQ(schema->check_options.schema_file, "s.json");
    EXPECT_EQ(schema->check_options.sample_file, "x.ndjson");
    EXPECT_EQ(schema->check_options.limit, 3u);
  }
  {
    CLI::App app;
    auto schema = AddSchemaCommands(app);
    app.parse("schema ddl --schema s.json --table-name db.t", false);
    EXPECT_TRUE(schema->Parsed());
    EXPECT_EQ(schema->ddl_options.table_name, "db.t");
    EXPECT_EQ(schema->ddl_options.target, "featurebase");  // the primary target is the default
  }
  {
    CLI::App app;
    auto schema = AddSchemaCommands(app);
    app.parse("schema check --schema s.json --sample-file x.ndjson --allow-missing", false);
    EXPECT_TRUE(schema->check_options.allow_missing);
  }
  {
    CLI::App app;
    app.add_subcommand("run");
    auto schema = AddSchemaCommands(app);
    app.parse("run", false);
    EXPECT_FALSE(schema->Parsed());
  }
}

}  // namespace
}  // namespace sluice::cli
