// Tests for `sluice schema check` finding mistakes (per-column path counts, did-you-mean for a
// path no sample had, exit status 3 and --allow-missing) and `sluice schema ddl --target
// featurebase`, through SchemaCheckCommand / SchemaDdlCommand with string streams.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/schema/path_coverage.h"
#include "app/schema/schema_command.h"
#include "tests/schema/flight_samples.h"
#include "tests/testing/temp_files.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;
using schema_samples::ExampleSchemaWithTypo;
using schema_samples::ExamplesDir;
using schema_samples::FiveFlights;
using schema_samples::FlightRecord;
using testing::ReadFileText;
using testing::TempDir;

struct CheckResult {
  int exit_code;
  std::string out;
  std::string err;
};

CheckResult Check(SchemaCheckOptions o) {
  std::ostringstream out, err;
  const int rc = SchemaCheckCommand(o, out, err);
  return {rc, out.str(), err.str()};
}

class SchemaCheckFit : public ::testing::Test {
 protected:
  SchemaCheckOptions Options(const std::string& schema_text, const std::string& sample) {
    SchemaCheckOptions o;
    o.schema_file = dir_.Write("schema.json", schema_text);
    o.table_file = ExamplesDir() + "/table.json";
    o.sample_file = dir_.Write("sample.ndjson", sample);
    return o;
  }
  std::string example_schema_ = ReadFileText(ExamplesDir() + "/schema.json");
  TempDir dir_{"schema-check"};
};

TEST_F(SchemaCheckFit, TypoInAPathWarnsWithTheNearestKeyAndExitsThree) {
  const CheckResult r = Check(Options(ExampleSchemaWithTypo(example_schema_), FiveFlights()));
  EXPECT_EQ(r.exit_code, kSchemaExitMismatch) << r.err;
  EXPECT_NE(r.err.find("warning: column origin_iata: path [\"origin\",\"iatta\"] matched none of 5 samples; "
                       "\"origin\" has keys iata, "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(": did you mean \"iata\"?\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  origin_iata <- [\"origin\",\"iatta\"]: 0 of 5 samples\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("schema check: the schema does not fit the sample: 1 column matched no sample"),
            std::string::npos)
      << r.err;
  // Only the typo'd column is warned about, and the records themselves were all mapped.
  EXPECT_EQ(r.err.find("warning: column origin_icao"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("5 records: 5 mapped, 0 rejected"), std::string::npos) << r.err;
}

TEST_F(SchemaCheckFit, AllowMissingLetsTheUnmatchedColumnPassButStillWarns) {
  SchemaCheckOptions o = Options(ExampleSchemaWithTypo(example_schema_), FiveFlights());
  o.allow_missing = true;
  const CheckResult r = Check(o);
  EXPECT_EQ(r.exit_code, kSchemaExitOk) << r.err;
  EXPECT_NE(r.err.find(": did you mean \"iata\"?"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 column matched no sample (allowed by --allow-missing)"), std::string::npos) << r.err;
}

TEST_F(SchemaCheckFit, ARejectedSampleExitsThreeEvenWithAllowMissing) {
  const std::string sample = FiveFlights() + FlightRecord(6, "HAN", "\"cheap\"") + "\n";
  SchemaCheckOptions o = Options(example_schema_, sample);
  o.allow_missing = true;
  const CheckResult r = Check(o);
  EXPECT_EQ(r.exit_code, kSchemaExitMismatch) << r.err;
  EXPECT_NE(r.err.find(":6: rejected: column \"price\": \"cheap\" is not a number"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("schema check: the schema does not fit the sample: 1 sample rejected (exit status 3)"),
            std::string::npos)
      << r.err;
}

TEST_F(SchemaCheckFit, ACleanSampleExitsZeroWithCountsPerColumn) {
  // One flight without "stops" and one whose origin has no "country": counts show it, and the
  // column still matched other samples, so it fits.
  std::string sample = FiveFlights();
  std::string no_stops = FlightRecord(6, "HAN", "1");
  no_stops.erase(no_stops.find(",\"stops\":\"non-stop\""), std::string(",\"stops\":\"non-stop\"").size());
  sample += no_stops + "\n";
  const CheckResult r = Check(Options(example_schema_, sample));
  EXPECT_EQ(r.exit_code, kSchemaExitOk) << r.err;
  EXPECT_NE(r.err.find("columns: samples with a value at the path\n"
                       "  airline <- [\"airline\"]: 6 of 6 samples\n"
                       "  stops <- [\"stops\"]: 5 of 6 samples\n"
                       "  price <- [\"price\"]: 6 of 6 samples\n"
                       "  origin_airport <- [\"origin\",\"airport\"]: 6 of 6 samples\n"
                       "  origin_iata <- [\"origin\",\"iata\"]: 6 of 6 samples\n"
                       "  origin_icao <- [\"origin\",\"icao\"]: 6 of 6 samples\n"
                       "  origin_loc_city <- [\"origin\",\"city\"]: 6 of 6 samples\n"
                       "  origin_loc_state <- [\"origin\",\"state\"]: 0 of 6 samples, null in 6\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("  _id <- [\"flight_id\"]: 6 of 6 samples\n"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("warning:"), std::string::npos) << r.err;  // null is a value the path had
  EXPECT_EQ(r.err.find("does not fit"), std::string::npos) << r.err;
}

TEST_F(SchemaCheckFit, APathThroughAValueThatIsNeverAnObjectSaysWhatItIs) {
  const std::string sample = "{\"flight_id\":1,\"origin\":\"HAN\"}\n{\"flight_id\":2,\"origin\":null}\n";
  const std::string schema = R"json([{"name":"_id","path":["flight_id"],"type":"id"},
                                 {"name":"origin_iata","path":["origin","iata"]}])json";
  SchemaCheckOptions o = Options(schema, sample);
  o.table_file.clear();
  const CheckResult r = Check(o);
  EXPECT_EQ(r.exit_code, kSchemaExitMismatch) << r.err;
  EXPECT_NE(r.err.find("warning: column origin_iata: path [\"origin\",\"iata\"] matched none of 2 samples; "
                       "\"origin\" is never an object: it is a string in 1, null in 1\n"),
            std::string::npos)
      << r.err;
}

TEST_F(SchemaCheckFit, AMissingTopLevelKeyIsSuggestedFromTheRecordsKeys) {
  const std::string sample = "{\"flight_id\":1,\"airline\":\"A\"}\n";
  const std::string schema = R"json([{"name":"_id","path":["flight_id"],"type":"id"},
                                 {"name":"carrier","path":["Airlines"]},
                                 {"name":"gate","path":["gate"]}])json";
  SchemaCheckOptions o = Options(schema, sample);
  o.table_file.clear();
  const CheckResult r = Check(o);
  EXPECT_EQ(r.exit_code, kSchemaExitMismatch) << r.err;
  EXPECT_NE(r.err.find("warning: column carrier: path [\"Airlines\"] matched none of 1 sample; "
                       "the records have keys airline, flight_id: did you mean \"airline\"?\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("warning: column gate: path [\"gate\"] matched none of 1 sample; "
                       "the records have keys airline, flight_id: none is close to \"gate\"\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("2 columns matched no sample"), std::string::npos) << r.err;
}

TEST_F(SchemaCheckFit, AnEmptySampleChecksNothingAndDoesNotPass) {
  SchemaCheckOptions o = Options(example_schema_, "");
  o.allow_missing = true;  // not even then: nothing was tried
  const CheckResult r = Check(o);
  EXPECT_EQ(r.exit_code, kSchemaExitMismatch) << r.err;
  EXPECT_NE(r.err.find("schema check: the sample has no records, so nothing was checked (exit status 3)\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("warning:"), std::string::npos) << r.err;  // one line, not one per column
}

TEST(EditDistance, CountsTyposAsOneEditAndIgnoresCase) {
  EXPECT_EQ(EditDistance("iatta", "iata"), 1u);
  EXPECT_EQ(EditDistance("iata", "itaa"), 1u);  // neighbours swapped
  EXPECT_EQ(EditDistance("IATA", "iata"), 0u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(NearestKey, SuggestsOnlyCloseKeysAndPrefersTheFirstOnATie) {
  const std::vector<std::string> keys = {"airport", "iata", "icao", "city"};
  EXPECT_EQ(NearestKey("iatta", keys).value_or(""), "iata");
  EXPECT_EQ(NearestKey("airprot", keys).value_or(""), "airport");
  EXPECT_FALSE(NearestKey("country", keys).has_value());
  EXPECT_EQ(NearestKey("ciao", {"icao", "city"}).value_or(""), "icao");
  EXPECT_FALSE(NearestKey("ab", {"xy"}).has_value());  // short names: one edit at most
}

TEST(SchemaDdlFeatureBase, PrintsTheTutorialTableByDefault) {
  SchemaDdlOptions o;  // --target featurebase is the default
  o.schema_file = ExamplesDir() + "/schema.json";
  o.table_file = ExamplesDir() + "/table.json";
  std::ostringstream out, err;
  ASSERT_EQ(SchemaDdlCommand(o, out, err), kSchemaExitOk) << err.str();
  EXPECT_EQ(out.str(),
            "CREATE TABLE IF NOT EXISTS flights (_id ID, airline STRING, stops STRING, price DECIMAL(2), "
            "origin_airport STRING, origin_iata STRING, origin_icao STRING, origin_loc_city STRING, "
            "origin_loc_state STRING, origin_loc_country STRING, destination_airport STRING, "
            "destination_iata STRING, destination_icao STRING, destination_loc_city STRING, "
            "destination_loc_state STRING, destination_loc_country STRING);\n");
  EXPECT_EQ(err.str(), "");
  // --target clickhouse still gives the ClickHouse statement.
  o.target = "clickhouse";
  std::ostringstream ch;
  ASSERT_EQ(SchemaDdlCommand(o, ch, err), kSchemaExitOk) << err.str();
  EXPECT_EQ(ch.str().rfind("CREATE TABLE IF NOT EXISTS flights (_id UInt64, airline String, ", 0), 0u) << ch.str();
}

TEST(SchemaDdlFeatureBase, MapsEveryTypeAndAStringKey) {
  TempDir dir("schema-check");
  SchemaDdlOptions o;
  o.schema_file = dir.Write("s.json", R"json([
    {"name": "_id", "path": ["k"], "type": "string"},
    {"name": "s", "path": ["s"], "type": "string"},
    {"name": "i", "path": ["i"], "type": "int"},
    {"name": "d", "path": ["d"], "type": "decimal(4)"},
    {"name": "b", "path": ["b"], "type": "bool"},
    {"name": "t", "path": ["t"], "type": "timestamp"},
    {"name": "n", "path": ["n"], "type": "id"},
    {"name": "ss", "path": ["ss"], "type": "stringset"},
    {"name": "is-2", "path": ["is"], "type": "idset"}])json");
  o.table_name = "events_2024";
  std::ostringstream out, err;
  ASSERT_EQ(SchemaDdlCommand(o, out, err), kSchemaExitOk) << err.str();
  EXPECT_EQ(out.str(),
            "CREATE TABLE IF NOT EXISTS events_2024 (_id STRING, s STRING, i INT, d DECIMAL(4), b BOOL, "
            "t TIMESTAMP, n ID, ss STRINGSET, is-2 IDSET);\n");
}

TEST(SchemaDdlFeatureBase, RefusesNamesFeatureBaseCannotHold) {
  TempDir dir("schema-check");
  SchemaDdlOptions o;
  o.schema_file = dir.Write("s.json", R"json([{"name": "_id", "path": ["k"], "type": "id"},
                                          {"name": "Price", "path": ["p"]}])json");
  std::ostringstream out, err;
  EXPECT_EQ(SchemaDdlCommand(o, out, err), kSchemaExitInvalid);
  EXPECT_NE(err.str().find("column \"Price\" is not a FeatureBase identifier"), std::string::npos) << err.str();
  o.schema_file = ExamplesDir() + "/schema.json";
  o.table_name = "db1.flights";  // FeatureBase SQL names a table without a database
  std::ostringstream err2;
  EXPECT_EQ(SchemaDdlCommand(o, out, err2), kSchemaExitInvalid);
  EXPECT_NE(err2.str().find("table name \"db1.flights\" is not a FeatureBase identifier"), std::string::npos)
      << err2.str();
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace sluice::cli
