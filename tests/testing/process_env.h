// File: tests/testing/process_env.h
// The process-level test environment shared by tests/faults and tests/integration: the real
// executables from $SLUICE_BIN_DIR as child processes over loopback.
//  - paths: BinDir(), the flights example's SchemaPath()/TablePath() (temp dirs and file text:
//    temp_files.h);
//  - MockKafkaProcess: bin/sluice-mock-kafka (broker count, optional topic) and its stdin
//    control protocol ("create-topic", "broker-down", "push-errors", ...);
//  - EmulatorProcess: bin/sluice-sink-emulator with the example schema/table and one test
//    account (given only through the child's env), its per-sink stats/rows and /admin routes;
//  - SluiceRunOptions()/SinkArgs()/KafkaArgs(): argv + env for `sluice run` against them;
//  - ProduceFlights()/WriteFlightsFile(): bin/sluice-fake-flights into a topic or a file.
// Both child classes start through StartServer() (subprocess.h): the address is the child's
// first stdout line, and the child is stopped (SIGTERM) on destruction. Each suite keeps its own account (a distinctive
// password that a leak check searches for) and its suite-specific helpers in its own env file. Thread-safety: one test
// thread per object; EmulatorProcess's const methods may be called from a watcher thread while the test thread runs the
// child.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_files.h"  // MakeTempDir, TempDir, ReadFileText, WriteFileText

namespace sluice::testing {

/// -X session.timeout.ms for runs whose group is joined again later: librdkafka 2.0.2's mock
/// cluster keeps a departed member until its session times out (45 s by default), so the next
/// member of the same group would wait that long for the rebalance.
inline constexpr const char* kShortSession = "session.timeout.ms=6000";

std::string BinDir();       ///< $SLUICE_BIN_DIR (or the test's own dir/../bin)
std::string ExamplesDir();  ///< $SLUICE_SOURCE_DIR/examples/flights
std::string SchemaPath();
std::string TablePath();
/// The last non-empty line of a run's stderr without the log's timestamp and level:
/// "component: message" (engine/log.h's text format).
std::string LastLogMessage(const std::string& text);

/// The sink emulator's user; sluice gets the same pair as SLUICE_USERNAME/SLUICE_PASSWORD.
struct TestAccount {
  const char* user = "";
  const char* password = "";
};

struct MockKafkaOptions {
  /// --broker-count; 0 leaves the flag out (the mock's default, one broker).
  int brokers = 0;
  /// A topic created at start (--topic/--partitions); empty: none.
  std::string topic;
  int partitions = 1;
  /// --honour-allow-auto-create: a consumer that does not allow auto-creation (sluice) gets
  /// "unknown topic" for a missing topic instead of a new empty one.
  bool honour_allow_auto_create = false;
};

class MockKafkaProcess {
 public:
  /// Starts sluice-mock-kafka; nullptr and *error on failure.
  static std::unique_ptr<MockKafkaProcess> Start(const MockKafkaOptions& options, std::string* error);
  /// The bootstrap address (127.0.0.1:PORT,...).
  const std::string& bootstrap() const { return bootstrap_; }
  /// Sends one control line; returns the answer line ("ok ..." / "error ...").
  std::string Command(const std::string& line);
  /// "create-topic NAME PARTITIONS"; "" on success, else the answer.
  std::string CreateTopic(const std::string& topic, int partitions);

 private:
  std::unique_ptr<Subprocess> child_;
  std::string bootstrap_;
};

/// GET /v2/sinks/NAME/stats.
struct SinkStats {
  bool ok = false;  ///< false when the stats could not be fetched/parsed
  uint64_t requests = 0, records_received = 0, records_stored = 0, distinct_ids = 0, duplicates = 0, rejected = 0;
};

class EmulatorProcess {
 public:
  /// Starts the emulator with the example schema/table and `account` (via env), plus
  /// `extra_args`; nullptr and *error on failure.
  static std::unique_ptr<EmulatorProcess> Start(const TestAccount& account, std::string* error,
                                                const std::vector<std::string>& extra_args = {});
  const std::string& base() const { return base_; }  ///< http://127.0.0.1:PORT
  std::string SinkUrl(const std::string& sink) const { return base_ + "/v2/sinks/" + sink; }
  std::string AuthUrl() const { return base_ + "/auth"; }
  SinkStats Stats(const std::string& sink) const;
  /// Polls Stats(sink) until `at_least` distinct ids arrived or `timeout` passed; the last count.
  uint64_t WaitForDistinctIds(const std::string& sink, uint64_t at_least, std::chrono::milliseconds timeout,
                              std::chrono::milliseconds poll = std::chrono::milliseconds(20)) const;
  std::string Rows(const std::string& sink) const;  ///< NDJSON; empty on failure
  /// POST /admin/faults (keys not given keep their values); true on HTTP 200.
  bool SetFaults(const std::string& json) const;
  /// Every fault back to off.
  bool ClearFaults() const;
  /// POST /admin/stop or /admin/start; true on HTTP 200.
  bool Admin(const std::string& what) const;

 private:
  std::unique_ptr<Subprocess> child_;
  std::string base_;
};

/// `--schema/--table` of the example, `--sink-url` of `emu`'s `sink`, featurebase auth against
/// `emu`, and -q.
std::vector<std::string> SinkArgs(const EmulatorProcess& emu, const std::string& sink);
/// `--brokers --topic --group`.
std::vector<std::string> KafkaArgs(const std::string& brokers, const std::string& topic, const std::string& group);
/// SLUICE_USERNAME/SLUICE_PASSWORD entries for the child's env (never on its command line).
std::vector<std::string> CredentialEnv(const TestAccount& account);
/// `sluice run ARGS...` with `env` (NAME=value entries, e.g. CredentialEnv()).
ProcessOptions SluiceRunOptions(const std::vector<std::string>& args, const std::vector<std::string>& env);

/// Produces `count` flights with ids first_id..first_id+count-1 (sluice-fake-flights, seed).
ProcessResult ProduceFlights(const std::string& brokers, const std::string& topic, uint64_t count, uint64_t seed,
                             uint64_t first_id = 1);
/// Writes `count` flights (seed, ids 1..count) to `path` with sluice-fake-flights --output (NDJSON;
/// gzip when the path ends in .gz).
ProcessResult WriteFlightsFile(const std::string& path, uint64_t count, uint64_t seed);

}  // namespace sluice::testing
