// File: tests/faults/fault_env.h
// Helpers for the fault-injection tests, which run the real executables (sluice,
// sluice-mock-kafka, sluice-fake-flights, sluice-sink-emulator from $SLUICE_BIN_DIR) as separate
// processes over loopback:
//  - MockKafka: the mock cluster (any broker count) with its stdin control protocol;
//  - Emulator: the sink emulator with the example schema/table and a test account, its stats
//    and its /admin routes;
//  - RunReport: the fields of `sluice run --report` the tests assert on;
//  - SluiceArgs(): argv for `sluice run` from Kafka into one emulator sink, credentials only in
//    the child's environment (FaultEnv()).
// Kept apart from tests/integration (owned by another helper) so neither breaks the other.
// Thread-safety: one test thread; Emulator::Stats may be called from a watcher thread.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"
#include "tools/common/child_process.h"

namespace sluice::faults {

/// Distinctive so that a leak into any output is found by a substring search.
inline constexpr const char* kPassword = "pw-faults-Kq7!SECRET-9931";
inline constexpr const char* kUser = "faultuser";
/// librdkafka 2.0.2's mock cluster keeps a departed member until its session times out (45 s
/// by default); a group joined again later would wait that long without this.
inline constexpr const char* kShortSession = "session.timeout.ms=6000";

std::string BinDir();
std::string SchemaPath();
std::string TablePath();
std::string MakeTempDir();
std::string ReadFileText(const std::string& path);

class MockKafka {
 public:
  /// Starts sluice-mock-kafka with `brokers` brokers and no topic; nullptr and *error on failure.
  static std::unique_ptr<MockKafka> Start(int brokers, std::string* error);
  const std::string& bootstrap() const { return bootstrap_; }
  /// Sends one control line; returns the answer line ("ok ..." / "error ...").
  std::string Command(const std::string& line);
  /// "" on success, else the answer.
  std::string CreateTopic(const std::string& topic, int partitions);

 private:
  std::unique_ptr<tools::ChildProcess> child_;
  std::string bootstrap_;
};

struct SinkStats {
  bool ok = false;
  uint64_t requests = 0, records_received = 0, records_stored = 0, distinct_ids = 0, duplicates = 0,
           rejected = 0;
};

class Emulator {
 public:
  static std::unique_ptr<Emulator> Start(std::string* error, const std::vector<std::string>& extra_args = {});
  const std::string& base() const { return base_; }
  std::string SinkUrl(const std::string& sink) const { return base_ + "/v2/sinks/" + sink; }
  std::string AuthUrl() const { return base_ + "/auth"; }
  SinkStats Stats(const std::string& sink) const;
  /// POST /admin/faults (keys not given keep their values); true on 200.
  bool SetFaults(const std::string& json) const;
  /// Every fault back to off.
  bool ClearFaults() const;
  /// POST /admin/stop or /admin/start; true on 200.
  bool Admin(const std::string& what) const;

 private:
  std::unique_ptr<tools::ChildProcess> child_;
  std::string base_;
};

/// What the tests read from `sluice run --report FILE`.
struct RunReport {
  bool parsed = false;
  bool ok = false;
  int64_t consumed = 0, delivered = 0, dead_lettered = 0, requests = 0;
  int64_t retries_total = 0, retries_throttled = 0, retries_server = 0, retries_network = 0;
  int64_t auth_refreshes = 0, splits = 0;
  std::string error;
};
RunReport ParseReport(const std::string& json);

/// `sluice run` from Kafka into `emu`'s `sink` with the example schema/table, featurebase auth
/// and -q; append extra flags to the result's argv.
testing::ProcessOptions SluiceKafkaRun(const Emulator& emu, const std::string& sink, const std::string& brokers,
                                       const std::string& topic, const std::string& group);

/// Produces `count` flights with ids first_id..first_id+count-1 (sluice-fake-flights).
testing::ProcessResult ProduceFlights(const std::string& brokers, const std::string& topic, uint64_t count,
                                      uint64_t seed, uint64_t first_id = 1);

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
