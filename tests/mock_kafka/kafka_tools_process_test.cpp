// Integration tests that run the real sluice-mock-kafka and sluice-fake-flights executables
// (from $SLUICE_BIN_DIR) as child processes (tests/testing/subprocess.h), and read topics back
// with kcat when installed.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "devtools/mock_kafka/mock_cluster.h"
#include "tests/testing/subprocess.h"

namespace sluice {
namespace {

using ::sluice::testing::FindOnPath;
using ::sluice::testing::ProcessOptions;
using ::sluice::testing::ProcessResult;
using ::sluice::testing::RunProgram;
using ::sluice::testing::StartServer;
using ::sluice::testing::Subprocess;

std::string BinDir() {
  const char* dir = std::getenv("SLUICE_BIN_DIR");
  return dir != nullptr ? dir : "bin";
}

std::string Tool(const std::string& name) { return BinDir() + "/" + name; }

int RunToCompletion(const std::vector<std::string>& args, int timeout_ms = 60000) {
  const ProcessResult r = RunProgram(args, {}, timeout_ms);
  return r.timed_out ? -1 : r.exit_code;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/kafka_tools_" + std::to_string(getpid()) + "_" + name;
}

/// The installed kcat's path; empty when there is none.
std::string KcatPath() { return FindOnPath("kcat"); }

bool HaveKcat() { return !KcatPath().empty(); }

/// The next stdout line of `p`, or `otherwise` when none came within timeout_ms.
std::string NextLine(Subprocess& p, int timeout_ms, const std::string& otherwise = "") {
  std::string line;
  return p.ReadLine(timeout_ms, &line) ? line : otherwise;
}

// A running sluice-mock-kafka with its bootstrap address read from the first stdout line.
struct MockKafkaProcess {
  std::unique_ptr<Subprocess> process;
  std::string bootstraps;
};

MockKafkaProcess StartMockKafka(const std::vector<std::string>& extra_args) {
  ProcessOptions options;
  options.argv = {Tool("sluice-mock-kafka")};
  options.argv.insert(options.argv.end(), extra_args.begin(), extra_args.end());
  options.stdin_pipe = true;  // the control protocol
  MockKafkaProcess mock;
  std::string error;
  mock.process = StartServer(options, "127.0.0.1:", &mock.bootstraps, &error);
  EXPECT_NE(mock.process, nullptr) << error;
  return mock;
}

TEST(SluiceMockKafka, StoresEveryFakeFlightSpreadOverAllPartitions) {
  MockKafkaProcess mock = StartMockKafka({"--topic", "t", "--partitions", "8"});
  ASSERT_TRUE(mock.process);
  ASSERT_EQ(mock.bootstraps.rfind("127.0.0.1:", 0), 0u) << mock.bootstraps;
  mock.process->CloseStdin();  // the mock must keep serving after stdin EOF

  ASSERT_EQ(
      RunToCompletion({Tool("sluice-fake-flights"), "--count", "50000", "--brokers", mock.bootstraps, "--topic", "t"}),
      0);
  auto counts = CountPartitionMessages(mock.bootstraps, "t", 10000);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 8u);
  int64_t total = 0;
  for (size_t p = 0; p < counts->size(); ++p) {
    EXPECT_GT(counts.value()[p], 0) << "partition " << p << " got nothing";
    total += counts.value()[p];
  }
  EXPECT_EQ(total, 50000);

  if (!HaveKcat()) {
    GTEST_SKIP() << "kcat not installed (apt-get install kcat); skipping the read-back check";
  }
  const ProcessResult kcat =
      RunProgram({KcatPath(), "-C", "-b", mock.bootstraps, "-t", "t", "-o", "beginning", "-e", "-q"}, {}, 60000);
  EXPECT_EQ(kcat.exit_code, 0) << kcat.err;
  const std::string& out = kcat.out;

  std::vector<bool> seen(50001, false);
  simdjson::dom::parser parser;
  size_t lines = 0;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) nl = out.size();
    const std::string_view line(out.data() + pos, nl - pos);
    pos = nl + 1;
    ++lines;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line.data(), line.size()).get(doc), simdjson::SUCCESS) << line;
    uint64_t id = 0;
    ASSERT_EQ(doc["flight_id"].get(id), simdjson::SUCCESS) << line;
    ASSERT_GE(id, 1u);
    ASSERT_LE(id, 50000u);
    EXPECT_FALSE(seen[id]) << "flight_id " << id << " read twice";
    seen[id] = true;
  }
  EXPECT_EQ(lines, 50000u);
  EXPECT_EQ(std::count(seen.begin() + 1, seen.end(), true), 50000);
}

TEST(SluiceFakeFlights, NdjsonOutputIsDeterministicForASeed) {
  const std::string a = TempPath("a.ndjson");
  const std::string b = TempPath("b.ndjson");
  const std::string c = TempPath("c.ndjson");
  const std::string tool = Tool("sluice-fake-flights");
  ASSERT_EQ(RunToCompletion({tool, "--count", "2000", "--seed", "42", "--output", a}), 0);
  ASSERT_EQ(RunToCompletion({tool, "--count", "2000", "--seed", "42", "--output", b}), 0);
  ASSERT_EQ(RunToCompletion({tool, "--count", "2000", "--seed", "43", "--output", c}), 0);
  const std::string text_a = ReadFile(a);
  EXPECT_EQ(std::count(text_a.begin(), text_a.end(), '\n'), 2000);
  EXPECT_EQ(text_a, ReadFile(b));
  EXPECT_NE(text_a, ReadFile(c));
  std::remove(a.c_str());
  std::remove(b.c_str());
  std::remove(c.c_str());
}

TEST(SluiceFakeFlights, WritesNdjsonToStdoutStartingAtFirstId) {
  const ProcessResult child =
      RunProgram({Tool("sluice-fake-flights"), "--count", "3", "--first-id", "100", "--output", "-"}, {}, 20000);
  EXPECT_EQ(child.exit_code, 0) << child.err;
  const std::string& out = child.out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  EXPECT_NE(out.find("\"flight_id\":100}\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\"flight_id\":102}\n"), std::string::npos) << out;
}

TEST(SluiceFakeFlights, ExitsNonZeroWhenDeliveriesFail) {
  MockKafkaProcess mock = StartMockKafka({"--topic", "t", "--partitions", "2"});
  ASSERT_TRUE(mock.process);
  ASSERT_TRUE(mock.process->Write("push-errors Produce TOPIC_AUTHORIZATION_FAILED 1000\n"));
  EXPECT_EQ(NextLine(*mock.process, 10000).rfind("ok ", 0), 0u);
  EXPECT_EQ(RunToCompletion({Tool("sluice-fake-flights"), "--count", "100", "--brokers", mock.bootstraps, "--topic",
                             "t", "-X", "message.timeout.ms=5000"}),
            1);
}

TEST(SluiceFakeFlights, RejectsMissingDestination) {
  EXPECT_EQ(RunToCompletion({Tool("sluice-fake-flights"), "--count", "1"}), 2);
}

TEST(SluiceMockKafka, ControlInterfaceAnswersEachCommand) {
  MockKafkaProcess mock = StartMockKafka({"--broker-count", "3", "--topic", "t"});
  ASSERT_TRUE(mock.process);
  EXPECT_EQ(std::count(mock.bootstraps.begin(), mock.bootstraps.end(), ','), 2) << mock.bootstraps;
  auto ask = [&](const std::string& command) {
    EXPECT_TRUE(mock.process->Write(command + "\n"));
    return NextLine(*mock.process, 10000, "<no answer>");
  };
  EXPECT_EQ(ask("broker-down 2"), "ok broker 2 down");
  EXPECT_EQ(ask("broker-up 2"), "ok broker 2 up");
  EXPECT_EQ(ask("broker-down 4").rfind("error ", 0), 0u);
  EXPECT_EQ(ask("rtt 1 20"), "ok broker 1 rtt 20 ms");
  EXPECT_EQ(ask("push-errors OffsetCommit REBALANCE_IN_PROGRESS 1").rfind("ok pushed 1", 0), 0u);
  EXPECT_EQ(ask("create-topic more 5"), "ok topic more partitions 5");
  EXPECT_EQ(ask("bogus").rfind("error ", 0), 0u);

  // After stdin closes the cluster keeps serving until signalled.
  mock.process->CloseStdin();
  auto counts = CountPartitionMessages(mock.bootstraps, "more", 10000);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->size(), 5u);
  EXPECT_TRUE(mock.process->Running());
  mock.process->Signal(SIGTERM);
  EXPECT_EQ(mock.process->Wait(10000).exit_code, 0);
}

TEST(SluiceMockKafka, QuitCommandStopsTheProcess) {
  MockKafkaProcess mock = StartMockKafka({});
  ASSERT_TRUE(mock.process);
  ASSERT_TRUE(mock.process->Write("quit\n"));
  EXPECT_EQ(NextLine(*mock.process, 10000), "ok bye");
  EXPECT_EQ(mock.process->Wait(10000).exit_code, 0);
}

TEST(SluiceMockKafka, SigintStopsTheProcessCleanly) {
  MockKafkaProcess mock = StartMockKafka({"--topic", "t"});
  ASSERT_TRUE(mock.process);
  ASSERT_FALSE(mock.bootstraps.empty());
  mock.process->Signal(SIGINT);
  EXPECT_EQ(mock.process->Wait(10000).exit_code, 0);
}

}  // namespace
}  // namespace sluice
