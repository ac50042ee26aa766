// End-to-end tests against a real ClickHouse (the Debian package, 18.16): the table comes from
// the DDL sluice generates for the tutorial's schema, flights go mock Kafka -> `sluice run
// --sink-format clickhouse` -> ClickHouse's HTTP interface, and are read back over HTTP and
// compared with the generator's records. Also: ClickHouse's own errors surface (non-zero exit
// with its text, or dead letters), never as silent loss.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app/schema/schema_command.h"
#include "stages/generator_source/flight_generator.h"
#include "stages/schema_map/ingest_schema.h"
#include "tests/testing/clickhouse_server.h"
#include "tests/testing/process_env.h"
#include "tests/testing/subprocess.h"

namespace sluice::testing {
namespace {

std::string Examples(const std::string& file) {
  const char* root = std::getenv("SLUICE_SOURCE_DIR");
  return std::string(root ? root : ".") + "/examples/flights/" + file;
}

class ClickHouseSink : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (ClickHouseServer::FindServerBinary().empty()) return;
    auto started = ClickHouseServer::Start();
    if (started.ok()) {
      server_ = std::move(*started).release();
    } else {
      start_error_ = new std::string(started.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    if (ClickHouseServer::FindServerBinary().empty()) {
      GTEST_SKIP() << "clickhouse-server not installed: ClickHouse tests skipped";
    }
    ASSERT_NE(server_, nullptr) << (start_error_ ? *start_error_ : "no server");
    // A fresh database per test: dropping many parts is slow on journal-less filesystems, and
    // a truncated table may get rows back after a quick restart.
    static std::atomic<int> counter{0};
    database_ = "sluice_t" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    ASSERT_TRUE(server_->Query("CREATE DATABASE " + database_).ok());
    char tmpl[] = "/tmp/sluice-ch-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  /// The DDL `sluice schema ddl --target clickhouse --table-name <db>.<table>` prints.
  std::string GeneratedDdl(const std::string& table) {
    cli::SchemaDdlOptions o;
    o.target = "clickhouse";
    o.schema_file = Examples("schema.json");
    o.table_file = Examples("table.json");
    o.table_name = database_ + "." + table;
    std::ostringstream out, err;
    EXPECT_EQ(cli::SchemaDdlCommand(o, out, err), cli::kSchemaExitOk) << err.str();
    return out.str();
  }

  std::vector<std::string> SecretsEnv() const {
    return {"SLUICE_USERNAME=" + server_->user(), "SLUICE_PASSWORD=" + server_->password()};
  }

  /// `sluice run` into <db>.<table> with the tutorial schema; extra flags appended.
  ProcessResult RunSluice(const std::string& table, std::vector<std::string> source_flags,
                          const std::vector<std::string>& extra_flags = {}) {
    std::vector<std::string> argv = {BinPath("sluice"), "run"};
    argv.insert(argv.end(), source_flags.begin(), source_flags.end());
    for (const std::string& f :
         {std::string("--sink-format"), std::string("clickhouse"), std::string("--clickhouse-table"),
          database_ + "." + table, std::string("--payload"), std::string("mapped"), std::string("--auth"),
          std::string("clickhouse"), std::string("--sink-url"), server_->Url(), std::string("--schema"),
          Examples("schema.json"), std::string("--table"), Examples("table.json"), std::string("--quiet")}) {
      argv.push_back(f);
    }
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    ProcessResult r = RunProgram(argv, SecretsEnv(), 100000);
    EXPECT_FALSE(r.timed_out) << r.err;
    // The password never shows up in anything sluice prints.
    EXPECT_EQ(r.out.find(server_->password()), std::string::npos);
    EXPECT_EQ(r.err.find(server_->password()), std::string::npos);
    return r;
  }

  static ClickHouseServer* server_;
  static std::string* start_error_;
  std::string database_;
  std::string dir_;
};

ClickHouseServer* ClickHouseSink::server_ = nullptr;
std::string* ClickHouseSink::start_error_ = nullptr;

// JSON text of the value at `path` in a source flight, as the column should hold it.
void ExpectColumnMatchesSource(const stages::Column& column, simdjson::dom::element source, simdjson::dom::element row,
                               uint64_t id) {
  simdjson::dom::element v = source;
  for (const std::string& key : column.path) {
    ASSERT_EQ(v[key].get(v), simdjson::SUCCESS) << "flight " << id << " lacks " << key;
  }
  simdjson::dom::element got;
  ASSERT_EQ(row[column.name].get(got), simdjson::SUCCESS) << "row " << id << " lacks column " << column.name;
  switch (column.type) {
    case stages::ColumnType::kString: {
      std::string_view got_text;
      ASSERT_EQ(got.get_string().get(got_text), simdjson::SUCCESS) << column.name;
      if (v.is_string()) {
        EXPECT_EQ(got_text, std::string_view(v.get_string().value())) << "flight " << id << " " << column.name;
      } else {  // a number sent to a String column travels as its JSON text ("stops": 1 -> "1")
        EXPECT_EQ(std::string(got_text), std::to_string(v.get_int64().value()))
            << "flight " << id << " " << column.name;
      }
      break;
    }
    case stages::ColumnType::kDecimal:
      EXPECT_DOUBLE_EQ(got.get_double().value(), v.get_double().value()) << "flight " << id << " " << column.name;
      break;
    case stages::ColumnType::kId:
      EXPECT_EQ(got.get_uint64().value(), v.get_uint64().value()) << "flight " << id << " " << column.name;
      break;
    default: FAIL() << "the tutorial schema has no " << stages::ColumnTypeName(column.type) << " column";
  }
}

TEST_F(ClickHouseSink, DeliversEveryKafkaFlightOnceIntoTheGeneratedTable) {
  constexpr uint64_t kFlights = 200000;
  constexpr uint64_t kSeed = 7;
  StatusOr<std::string> created = server_->Query(GeneratedDdl("flights"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();

  std::string error;
  std::unique_ptr<MockKafkaProcess> kafka =
      MockKafkaProcess::Start({.brokers = 0, .topic = "flights", .partitions = 8}, &error);
  ASSERT_NE(kafka, nullptr) << error;
  const std::string brokers = kafka->bootstrap();
  ProcessResult produced = RunProgram({BinPath("sluice-fake-flights"), "--brokers", brokers, "--topic", "flights",
                                       "--count", std::to_string(kFlights), "--seed", std::to_string(kSeed)},
                                      {}, 60000);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;

  ProcessResult run =
      RunSluice("flights", {"--brokers", brokers, "--topic", "flights", "--until-caught-up"}, {"--batch-size", "5000"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("delivered 200000"), std::string::npos) << run.out << run.err;

  const std::string table = database_ + ".flights";
  EXPECT_EQ(server_->QueryNumber("SELECT count() FROM " + table + " FINAL").value(), kFlights);
  EXPECT_EQ(server_->QueryNumber("SELECT uniqExact(_id) FROM " + table).value(), kFlights);
  EXPECT_EQ(server_->QueryNumber("SELECT min(_id) FROM " + table).value(), 1u);
  EXPECT_EQ(server_->QueryNumber("SELECT max(_id) FROM " + table).value(), kFlights);

  // 200 rows spread over the whole id range equal the generator's records, column by column.
  std::string ids;
  std::map<uint64_t, std::string> expected;
  for (uint64_t id = 1; id <= kFlights; id += 1000) {
    ids += (ids.empty() ? "" : ",") + std::to_string(id);
    expected[id];
  }
  FlightGenerator generator(kSeed, 1);
  std::string flight;
  for (uint64_t id = 1; id <= kFlights; ++id) {
    flight.clear();
    generator.Next(flight);
    if (auto it = expected.find(id); it != expected.end()) it->second = flight;
  }
  StatusOr<std::string> rows =
      server_->Query("SELECT * FROM " + table + " FINAL WHERE _id IN (" + ids + ") ORDER BY _id FORMAT JSONEachRow");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  StatusOr<stages::IngestSchema> schema = stages::IngestSchema::Load(Examples("schema.json"), Examples("table.json"));
  ASSERT_TRUE(schema.ok());
  simdjson::dom::parser row_parser;
  simdjson::dom::parser source_parser;
  std::istringstream lines(*rows);
  std::string line;
  size_t compared = 0;
  while (std::getline(lines, line)) {
    simdjson::dom::element row;
    ASSERT_EQ(row_parser.parse(line).get(row), simdjson::SUCCESS) << line;
    const uint64_t id = row["_id"].get_uint64().value();
    ASSERT_TRUE(expected.count(id)) << id;
    simdjson::dom::element source;
    ASSERT_EQ(source_parser.parse(expected[id]).get(source), simdjson::SUCCESS);
    ASSERT_EQ(source["flight_id"].get_uint64().value(), id) << "generator out of step";
    for (const stages::Column& c : schema->columns()) ExpectColumnMatchesSource(c, source, row, id);
    ++compared;
  }
  EXPECT_EQ(compared, expected.size());
}

// A table that lacks a column the schema sends: ClickHouse answers "Unknown field found while
// parsing JSONEachRow format"; the flights for it must not vanish.
class ClickHouseSinkErrors : public ClickHouseSink {
 protected:
  void CreateTableWithoutLastColumn(const std::string& table) {
    std::string ddl = GeneratedDdl(table);
    const std::string dropped = ", destination_loc_country String";
    const size_t at = ddl.find(dropped);
    ASSERT_NE(at, std::string::npos) << ddl;
    ddl.erase(at, dropped.size());
    ASSERT_TRUE(server_->Query(ddl).ok());
  }
  std::string WriteFlights(uint64_t count) {
    const std::string path = dir_ + "/flights.ndjson";
    ProcessResult r =
        RunProgram({BinPath("sluice-fake-flights"), "--output", path, "--count", std::to_string(count)}, {}, 30000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  }
};

TEST_F(ClickHouseSinkErrors, UnknownColumnFailsTheRunWithClickHousesText) {
  CreateTableWithoutLastColumn("narrow");
  const std::string flights = WriteFlights(20);
  ProcessResult run = RunSluice("narrow", {"--source", "file:" + flights});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("Unknown field found while parsing JSONEachRow format"), std::string::npos) << run.err;
  EXPECT_EQ(server_->QueryNumber("SELECT count() FROM " + database_ + ".narrow").value(), 0u);
}

// Every row refused alone with the same answer is a table that does not fit the schema, not bad
// data: even with a dead-letter destination the run stops before committing, rather than
// dead-lettering the whole topic.
TEST_F(ClickHouseSinkErrors, UnknownColumnInEveryRowIsAConfigurationErrorEvenWithADlq) {
  CreateTableWithoutLastColumn("narrow");
  const std::string flights = WriteFlights(20);
  const std::string dlq = dir_ + "/dead.ndjson";
  ProcessResult run = RunSluice("narrow", {"--source", "file:" + flights}, {"--dlq", "file:" + dlq});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("Unknown field found while parsing JSONEachRow format"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("configuration error"), std::string::npos) << run.err;
  EXPECT_EQ(ReadFileText(dlq), "") << "nothing of the batch is dead-lettered";
  EXPECT_EQ(server_->QueryNumber("SELECT count() FROM " + database_ + ".narrow").value(), 0u);
}

}  // namespace
}  // namespace sluice::testing
