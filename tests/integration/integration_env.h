// File: tests/integration/integration_env.h
// Helpers for the end-to-end tests that run the real executables over loopback:
//  - MockKafkaProcess / EmulatorProcess: bin/sluice-mock-kafka and bin/sluice-sink-emulator as
//    child processes (address read from their first stdout line; SIGTERM on destruction);
//  - SluiceRun: argv + env for `sluice run` against them, credentials only in the child's env;
//  - ExpectedRows: what the sink must hold for given source records, computed from the example
//    schema/table files independently of the schema-map stage (COERCION.md rules);
//  - ParseFlatRow / CompareRows: exact comparison of GET /rows against the expectation;
//  - CommittedOffsets: the group's committed offsets, read with a librdkafka consumer.
// Thread-safety: one test thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"
#include "tools/common/child_process.h"

namespace sluice::it {

/// A password distinctive enough that any leak into output is found by a substring search.
inline constexpr const char* kPassword = "pw-Zq8!sluice-SECRET-4711";
inline constexpr const char* kUser = "ituser";

std::string BinDir();       ///< $SLUICE_BIN_DIR (or the test's own dir/../bin)
std::string ExamplesDir();  ///< $SLUICE_SOURCE_DIR/examples/flights
std::string SchemaPath();
std::string TablePath();
bool HaveKcat();
/// A fresh empty directory for this test's files; RemoveTree() it in TearDown.
std::string MakeTempDir();
void RemoveTree(const std::string& dir);
std::string ReadFileText(const std::string& path);
void WriteFileText(const std::string& path, const std::string& text);

class MockKafkaProcess {
 public:
  /// Starts the mock with one topic of `partitions` partitions; empty topic = none.
  static std::unique_ptr<MockKafkaProcess> Start(const std::string& topic, int partitions, std::string* error);
  const std::string& brokers() const { return brokers_; }
  /// "create-topic NAME PARTITIONS" on the mock's stdin; empty on success, else the answer.
  std::string CreateTopic(const std::string& topic, int partitions);

 private:
  std::unique_ptr<tools::ChildProcess> child_;
  std::string brokers_;
};

struct SinkStats {
  bool ok = false;  ///< false when the stats could not be fetched/parsed
  uint64_t requests = 0, records_received = 0, records_stored = 0, distinct_ids = 0, duplicates = 0,
           rejected = 0;
};

class EmulatorProcess {
 public:
  /// Starts the emulator with the example schema/table and the test account (via env).
  static std::unique_ptr<EmulatorProcess> Start(std::string* error, const std::vector<std::string>& extra_args = {});
  const std::string& base() const { return base_; }  ///< http://127.0.0.1:PORT
  std::string SinkUrl(const std::string& sink) const { return base_ + "/v2/sinks/" + sink; }
  std::string AuthUrl() const { return base_ + "/auth"; }
  SinkStats Stats(const std::string& sink) const;
  std::string Rows(const std::string& sink) const;  ///< NDJSON; empty on failure
  /// POST /admin/faults; true on HTTP 200.
  bool SetFaults(const std::string& json) const;

 private:
  std::unique_ptr<tools::ChildProcess> child_;
  std::string base_;
};

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

/// -X session.timeout.ms for runs whose group is joined again later: librdkafka 2.0.2's mock
/// cluster keeps a departed member until its session times out (45 s by default), so the next
/// member of the same group would wait that long for the rebalance.
inline constexpr const char* kShortSession = "session.timeout.ms=6000";

/// Produces `count` fake flights with bin/sluice-fake-flights (seed, first id); result of the run.
testing::ProcessResult ProduceFlights(const std::string& brokers, const std::string& topic, uint64_t count,
                                      uint64_t seed, uint64_t first_id = 1);
/// kcat -P -b brokers -t topic -l file (one message per line).
testing::ProcessResult KcatProduceFile(const std::string& brokers, const std::string& topic, const std::string& file,
                                       int partition = -1);

/// Reads an integer field from a flat-ish JSON text ("\"name\": 123"); -1 when absent.
int64_t JsonIntField(const std::string& json, const std::string& name);

}  // namespace sluice::it
