// File: tests/faults/fault_env.h
// The fault-injection suite's layer over tests/testing/process_env.h (the real executables from
// $SLUICE_BIN_DIR as child processes over loopback: MockKafka, Emulator, ProduceFlights, ...):
//  - the suite's test account (kUser/kPassword) and SluiceKafkaRun(): `sluice run` from Kafka
//    into one emulator sink with -X kShortSession, credentials only in the child's env;
//  - StartFaultProcesses() / FaultSuite<>: the mock cluster (with a topic of fake flights) plus
//    one emulator that every fault test starts the same way;
//  - dead-letter files (the run report is tests/testing/run_report.h's RunReport);
//  - PrintTableLine(): the "[ table ]" line the lead quotes.
// Thread-safety: one test thread; Emulator's const methods may be called from a watcher thread.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/testing/process_env.h"
#include "tests/testing/run_report.h"
#include "tests/testing/subprocess.h"

namespace sluice::faults {

/// Distinctive so that a leak into any output is found by a substring search.
inline constexpr const char* kPassword = "pw-faults-Kq7!SECRET-9931";
inline constexpr const char* kUser = "faultuser";
inline constexpr testing::TestAccount kAccount{kUser, kPassword};

// The shared environment under this suite's names.
using Emulator = testing::EmulatorProcess;
using MockKafka = testing::MockKafkaProcess;
using testing::kShortSession;
using testing::ProduceFlights;
using testing::ParseReport;
using testing::ReadFileText;
using testing::RunReport;
using testing::SinkStats;

/// A fresh directory $TMPDIR/sluice-faults-XXXXXX.
std::string MakeTempDir();

/// What a fault test runs against, e.g. FaultSetup(1).Topic(kTopic, 8).Flights(20000, 7301).
/// (Setters rather than designated initializers: GCC 12 warns about every member one leaves out.)
struct FaultSetup {
  explicit FaultSetup(int broker_count) : brokers(broker_count) {}
  FaultSetup& Topic(std::string name, int partition_count) {
    topic = std::move(name);
    partitions = partition_count;
    return *this;
  }
  FaultSetup& Flights(uint64_t flight_count, uint64_t flight_seed) {
    count = flight_count;
    seed = flight_seed;
    return *this;
  }
  FaultSetup& EmulatorArgs(std::vector<std::string> args) {
    emulator_args = std::move(args);
    return *this;
  }

  int brokers;  ///< mock brokers
  /// Created with `partitions` partitions and `count` flights (seed `seed`, ids 1..count) before
  /// the emulator starts; empty: no topic (the tests make their own).
  std::string topic;
  int partitions = 0;
  uint64_t count = 0;
  uint64_t seed = 0;
  std::vector<std::string> emulator_args;  ///< extra sluice-sink-emulator flags
};

struct FaultProcesses {
  std::unique_ptr<MockKafka> kafka;  ///< set as soon as it started, so a later failure still stops it
  std::unique_ptr<Emulator> emulator;
};

/// Starts the mock cluster, makes and fills the topic, then starts the emulator (kAccount),
/// asserting each step; call it under ASSERT_NO_FATAL_FAILURE.
void StartFaultProcesses(const FaultSetup& setup, FaultProcesses* out);

/// Fixture of a suite whose tests share one mock cluster and one emulator: the suite's
/// SetUpTestSuite() calls StartShared(); each test gets a fresh dir_. `Suite` (the derived
/// fixture) gives every suite its own processes.
template <typename Suite>
class FaultSuite : public ::testing::Test {
 public:
  static void TearDownTestSuite() {
    emulator_.reset();
    kafka_.reset();
  }

 protected:
  static void StartShared(const FaultSetup& setup) {
    FaultProcesses started;
    StartFaultProcesses(setup, &started);
    kafka_ = std::move(started.kafka);
    emulator_ = std::move(started.emulator);
  }
  void SetUp() override {
    ASSERT_NE(kafka_, nullptr);
    ASSERT_NE(emulator_, nullptr);
    dir_ = MakeTempDir();
  }

  static inline std::unique_ptr<MockKafka> kafka_;
  static inline std::unique_ptr<Emulator> emulator_;
  std::string dir_;
};

/// `sluice run` from Kafka into `emu`'s `sink` with the example schema/table, featurebase auth,
/// -q and -X kShortSession; append extra flags to the result's argv.
testing::ProcessOptions SluiceKafkaRun(const Emulator& emu, const std::string& sink, const std::string& brokers,
                                       const std::string& topic, const std::string& group);


/// Dead-letter file lines: the flight_id of each record and its reason. False on a bad line.
struct DeadLetter {
  uint64_t flight_id = 0;
  std::string reason;
  std::string stage;
};
bool ReadDeadLetters(const std::string& path, std::vector<DeadLetter>* out, std::string* error);

/// One line of the table the lead quotes.
void PrintTableLine(const std::string& fault, uint64_t sent, const SinkStats& s, const RunReport& r);

}  // namespace sluice::faults
