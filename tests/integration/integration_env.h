// File: tests/integration/integration_env.h
// The end-to-end suite's layer over tests/testing/process_env.h (the real executables as child
// processes over loopback: MockKafkaProcess, EmulatorProcess, ProduceFlights, paths, ...):
//  - the suite's test account (kUser/kPassword), temp dirs it removes again, kcat;
//  - SluiceRun: argv + env for `sluice run` against them, credentials only in the child's env;
//  - ExpectedRows, ParseFlatRow, CompareRows: app/demo/expected_rows.h (the expectation helper
//    the demo uses too) over the example schema/table;
//  - CommittedOffsets: the group's committed offsets, read with a librdkafka consumer;
//  - KeyedFlights: generated flights as kcat -K: input (kcat itself: tests/testing/kcat.h);
//  - IntegrationSuite: the fixture of a suite whose tests share one emulator and one mock Kafka
//    (optionally with a topic filled with flights; either process can be left out or, for the
//    emulator, started per test), each test with its own temp dir.
// Thread-safety: one test thread.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/demo/expected_rows.h"
#include "tests/testing/kcat.h"
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
using testing::KafkaMessage;
using testing::Kcat;
using testing::kShortSession;
using testing::MockKafkaProcess;
using testing::ParseKcatJson;
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

using expect::CompareRows;
using expect::ParseFlatRow;
using expect::Row;
using expect::RowIds;
using expect::Scalar;

/// app/demo's expectation helper over the flights example's schema/table.
class ExpectedRows : public expect::ExpectedRows {
 public:
  ExpectedRows() : expect::ExpectedRows(SchemaPath(), TablePath()) {}
};

/// Committed offsets of `group` for partitions 0..partitions-1 of `topic`
/// (RD_KAFKA_OFFSET_INVALID = -1001 where none). Empty vector and *error on failure.
std::vector<int64_t> CommittedOffsets(const std::string& brokers, const std::string& group, const std::string& topic,
                                      int partitions, std::string* error);
/// High watermarks of partitions 0..partitions-1.
std::vector<int64_t> HighWatermarks(const std::string& brokers, const std::string& topic, int partitions,
                                    std::string* error);

/// The processes an IntegrationSuite starts: the emulator (kAccount) and, unless `mock_kafka`
/// is false, mock Kafka with `topic` created with `partitions` and filled with `count` flights
/// of `seed` unless empty.
struct SuiteSetup {
  bool mock_kafka = true;
  /// A fresh emulator for each test instead of one for the suite: faults are global to an
  /// emulator process, so tests that set them get their own.
  bool emulator_per_test = false;
  /// MockKafkaOptions::honour_allow_auto_create: a missing topic stays missing for sluice.
  bool honour_allow_auto_create = false;
  std::string topic;
  int partitions = 1;
  uint64_t count = 0;
  uint64_t seed = 0;

  /// The emulator alone.
  static SuiteSetup WithoutKafka() {
    SuiteSetup s;
    s.mock_kafka = false;
    return s;
  }
  /// Mock Kafka with no topic, and an emulator for each test.
  static SuiteSetup EmulatorPerTest() {
    SuiteSetup s;
    s.emulator_per_test = true;
    return s;
  }
};

/// Starts the emulator unless `setup.emulator_per_test`, and mock Kafka unless not
/// `setup.mock_kafka`, and fills the topic, asserting each step; call it under
/// ASSERT_NO_FATAL_FAILURE (IntegrationSuite::StartShared does).
void StartSuiteProcesses(const SuiteSetup& setup, std::unique_ptr<EmulatorProcess>* emulator,
                         std::unique_ptr<MockKafkaProcess>* kafka);

/// Fixture of a suite whose tests share one emulator and (unless SuiteSetup says otherwise) one
/// mock Kafka: the suite's SetUpTestSuite() calls StartShared(); each test gets a fresh dir_,
/// removed after it, and with `emulator_per_test` its own emulator. `Suite` (the derived
/// fixture) gives every suite its own processes.
template <typename Suite>
class IntegrationSuite : public ::testing::Test {
 public:
  static void TearDownTestSuite() {
    kafka_.reset();
    emulator_.reset();
    started_ = false;
  }

 protected:
  static void StartShared(const SuiteSetup& setup) {
    setup_ = setup;
    ASSERT_NO_FATAL_FAILURE(StartSuiteProcesses(setup, &emulator_, &kafka_));
    started_ = true;
  }
  void SetUp() override {
    ASSERT_TRUE(started_) << "the suite's processes did not start";
    if (setup_.emulator_per_test) {
      std::string error;
      emulator_ = EmulatorProcess::Start(kAccount, &error);
      ASSERT_NE(emulator_, nullptr) << error;
    }
    dir_ = MakeTempDir();
  }
  void TearDown() override {
    RemoveTree(dir_);
    if (setup_.emulator_per_test) emulator_.reset();
  }

  /// Writes `count` flights (seed) to `path` (NDJSON, gzip for *.gz), asserting it worked.
  static void Generate(const std::string& path, uint64_t count, uint64_t seed) {
    testing::ProcessResult g = testing::WriteFlightsFile(path, count, seed);
    ASSERT_EQ(g.exit_code, 0) << g.err;
  }

  static inline SuiteSetup setup_;
  static inline bool started_ = false;
  static inline std::unique_ptr<EmulatorProcess> emulator_;
  static inline std::unique_ptr<MockKafkaProcess> kafka_;
  std::string dir_;
};

/// KEY:JSON lines (for kcat -K:) of `count` flights of seed 77 with ids first_id.., each keyed
/// `key_prefix` + its id.
std::string KeyedFlights(uint64_t first_id, int count, const std::string& key_prefix);

/// kcat -P -b brokers -t topic -l file (one message per line).
testing::ProcessResult KcatProduceFile(const std::string& brokers, const std::string& topic, const std::string& file,
                                       int partition = -1);

}  // namespace sluice::it
