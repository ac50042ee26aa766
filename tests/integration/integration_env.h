// File: tests/integration/integration_env.h
// The end-to-end suite's layer over tests/testing/process_env.h (the real executables as child
// processes over loopback: MockKafkaProcess, EmulatorProcess, ProduceFlights, paths, ...):
//  - the suite's test account (kUser/kPassword), temp dirs it removes again, kcat;
//  - SluiceRun: argv + env for `sluice run` against them, credentials only in the child's env;
//  - ExpectedRows: what the sink must hold for given source records, computed from the example
//    schema/table files independently of the schema-map stage (docs/schema.md rules);
//  - ParseFlatRow / CompareRows: exact comparison of GET /rows against the expectation;
//  - CommittedOffsets: the group's committed offsets, read with a librdkafka consumer.
// Thread-safety: one test thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/process_env.h"
#include "tests/testing/run_report.h"
#include "tests/testing/subprocess.h"

namespace sluice::it {

/// A password distinctive enough that any leak into output is found by a substring search.
inline constexpr const char* kPassword = "pw-Zq8!sluice-SECRET-4711";
inline constexpr const char* kUser = "ituser";
inline constexpr testing::TestAccount kAccount{kUser, kPassword};

using testing::BinDir;
using testing::EmulatorProcess;
using testing::kShortSession;
using testing::MockKafkaProcess;
using testing::ProduceFlights;
using testing::ReadFileText;
using testing::ReportInt;
using testing::SchemaPath;
using testing::SinkStats;
using testing::TablePath;
using testing::WriteFileText;

bool HaveKcat();
/// A fresh empty directory $TMPDIR/sluice-it-XXXXXX for this test's files; RemoveTree() it in
/// TearDown.
std::string MakeTempDir();
/// Removes `dir` and what is in it, only when MakeTempDir() made it.
void RemoveTree(const std::string& dir);

/// `sluice run` with the flights example schema/table, featurebase auth against `emu`, and
/// -q. Extra flags go in `args`. `env` gets SLUICE_USERNAME/SLUICE_PASSWORD.
struct SluiceRun {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string stdin_path;
  testing::ProcessOptions Options() const;
};
SluiceRun KafkaRun(const EmulatorProcess& emu, const std::string& sink, const std::string& brokers,
                   const std::string& topic, const std::string& group);
SluiceRun FileRun(const EmulatorProcess& emu, const std::string& sink, const std::string& source);

/// One JSON scalar of a flat row: strings decoded, other tokens as their exact text.
struct Scalar {
  bool is_string = false;
  std::string text;
  bool operator==(const Scalar& o) const { return is_string == o.is_string && text == o.text; }
};
using Row = std::map<std::string, Scalar>;

/// Parses a flat JSON object ({"k":"s","n":1.50,...}); false on anything else.
bool ParseFlatRow(const std::string& line, Row* row, std::string* error);

/// Expected sink rows (keyed by _id text) for source JSON records, by the example schema.
class ExpectedRows {
 public:
  /// Loads the example schema/table; check ok() after.
  ExpectedRows();
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  /// Adds the expected row of one source record; false (and error()) when it is not mappable.
  bool Add(const std::string& json);
  /// Adds records 1..count of FlightGenerator(seed, first_id).
  bool AddGenerated(uint64_t seed, uint64_t count, uint64_t first_id = 1);
  const std::map<std::string, Row>& rows() const { return rows_; }

 private:
  struct Column {
    std::string name;
    std::vector<std::string> path;
    std::string type;
    int scale = 0;
  };
  std::vector<Column> columns_;
  std::map<std::string, Row> rows_;
  std::string error_;
};

/// Compares the sink's NDJSON rows with the expectation: same set of ids, every row equal
/// column by column. Empty on success, else a description (counts and the first difference).
std::string CompareRows(const std::string& rows_ndjson, const std::map<std::string, Row>& expected);
/// The _id texts of the sink's rows.
std::vector<std::string> RowIds(const std::string& rows_ndjson);

/// Committed offsets of `group` for partitions 0..partitions-1 of `topic`
/// (RD_KAFKA_OFFSET_INVALID = -1001 where none). Empty vector and *error on failure.
std::vector<int64_t> CommittedOffsets(const std::string& brokers, const std::string& group, const std::string& topic,
                                      int partitions, std::string* error);
/// High watermarks of partitions 0..partitions-1.
std::vector<int64_t> HighWatermarks(const std::string& brokers, const std::string& topic, int partitions,
                                    std::string* error);

/// kcat -P -b brokers -t topic -l file (one message per line).
testing::ProcessResult KcatProduceFile(const std::string& brokers, const std::string& topic, const std::string& file,
                                       int partition = -1);

}  // namespace sluice::it
