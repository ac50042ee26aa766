// Process-level tests of `sluice schema check` and `sluice schema ddl`: the real sluice binary
// from $SLUICE_BIN_DIR, where the exit status is what a CI job sees.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/schema/flight_samples.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_files.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;
using schema_samples::ExampleSchemaWithTypo;
using schema_samples::ExamplesDir;
using schema_samples::FiveFlights;
using schema_samples::FlightRecord;
using sluice::testing::ProcessOptions;
using sluice::testing::ProcessResult;
using sluice::testing::ReadFileText;
using sluice::testing::Subprocess;

// Generous: the commands read a few lines of a local file; this only bounds a hang.
constexpr int kWaitMs = 60000;

std::string SluiceBinary() {
  const char* dir = std::getenv("SLUICE_BIN_DIR");
  return std::string(dir ? dir : "bin") + "/sluice";
}

ProcessResult RunSluice(std::vector<std::string> args) {
  ProcessOptions o;
  o.argv = {SluiceBinary()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  std::string error;
  std::unique_ptr<Subprocess> p = Subprocess::Start(o, &error);
  if (!p) {
    ADD_FAILURE() << error;
    return {};
  }
  return p->Wait(kWaitMs);
}

class SchemaCli : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) const { return dir_.Write(name, text); }
  std::vector<std::string> CheckArgs(const std::string& schema, const std::string& sample) const {
    return {"schema", "check", "--schema", schema, "--table", ExamplesDir() + "/table.json", "--sample-file", sample};
  }

  sluice::testing::TempDir dir_{"schema-cli"};
  std::string example_schema_ = ExamplesDir() + "/schema.json";
};

TEST_F(SchemaCli, TypoInAPathExitsThreeWithTheSuggestion) {
  const std::string typo = Write("typo.json", ExampleSchemaWithTypo(ReadFileText(example_schema_)));
  const ProcessResult r = RunSluice(CheckArgs(typo, Write("s.ndjson", FiveFlights())));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("column origin_iata: path [\"origin\",\"iatta\"] matched none of 5 samples"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("did you mean \"iata\"?"), std::string::npos) << r.err;
}

TEST_F(SchemaCli, AllowMissingExitsZeroForTheSameTypo) {
  const std::string typo = Write("typo.json", ExampleSchemaWithTypo(ReadFileText(example_schema_)));
  std::vector<std::string> args = CheckArgs(typo, Write("s.ndjson", FiveFlights()));
  args.push_back("--allow-missing");
  const ProcessResult r = RunSluice(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("did you mean \"iata\"?"), std::string::npos) << r.err;
}

TEST_F(SchemaCli, ARejectedSampleExitsThree) {
  const std::string sample = Write("s.ndjson", FiveFlights() + FlightRecord(6, "HAN", "-1.234") + "\n");
  std::vector<std::string> args = CheckArgs(example_schema_, sample);
  args.push_back("--allow-missing");  // relaxes unmatched columns only
  const ProcessResult r = RunSluice(args);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("s.ndjson:6: rejected: column \"price\""), std::string::npos) << r.err;
}

TEST_F(SchemaCli, ACleanSampleExitsZeroAndPrintsEveryRow) {
  const ProcessResult r = RunSluice(CheckArgs(example_schema_, Write("s.ndjson", FiveFlights())));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("  origin_iata <- [\"origin\",\"iata\"]: 5 of 5 samples\n"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 5) << r.out;
}

TEST_F(SchemaCli, UsageAndUnreadableSamplesKeepTheirOwnCodes) {
  EXPECT_EQ(RunSluice({"schema", "check", "--schema", example_schema_}).exit_code, 2);  // no sample
  EXPECT_EQ(RunSluice({"schema", "check", "--bogus-flag"}).exit_code, 2);
  const ProcessResult help = RunSluice({"schema", "check", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit status:"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("  3  the schema does not fit the sample"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--allow-missing"), std::string::npos) << help.out;
}

TEST_F(SchemaCli, DdlPrintsFeatureBaseByDefaultAndClickHouseOnRequest) {
  const std::vector<std::string> base = {"schema",        "ddl",     "--schema",
                                         example_schema_, "--table", ExamplesDir() + "/table.json"};
  const ProcessResult fb = RunSluice(base);
  EXPECT_EQ(fb.exit_code, 0) << fb.err;
  EXPECT_EQ(fb.out.rfind("CREATE TABLE IF NOT EXISTS flights (_id ID, airline STRING, ", 0), 0u) << fb.out;
  std::vector<std::string> ch = base;
  ch.insert(ch.end(), {"--target", "clickhouse"});
  const ProcessResult c = RunSluice(ch);
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out.rfind("CREATE TABLE IF NOT EXISTS flights (_id UInt64, ", 0), 0u) << c.out;
  std::vector<std::string> bad = base;
  bad.insert(bad.end(), {"--target", "postgres"});
  EXPECT_EQ(RunSluice(bad).exit_code, 2);
}

}  // namespace
}  // namespace sluice::cli
