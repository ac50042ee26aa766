// What the operator sees, with the real sluice binary: every log line on stderr carries an RFC
// 3339 timestamp and a level (text) or parses as one JSON object (--log-format json);
// --log-level error keeps warnings out; a startup error prints the error alone (no all-zero
// summary, no internal status name); a configuration error names the flag; the retry count of
// "giving up after N retries" and the summary agree; off a terminal, progress comes as log lines
// with the figures (every --progress-interval and once at the end), and a bounded Kafka run
// says how many partitions it was assigned and reports total, percent and lag.
// Real executables over loopback: sluice, the sink emulator, sluice-mock-kafka.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <sstream>

#include "tests/integration/integration_env.h"
#include "tests/testing/run_report.h"

namespace sluice::it {
namespace {

constexpr int kRunTimeoutMs = 100000;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// Drops "-q" (the test runs' default) so that progress is shown.
void WithoutQuiet(SluiceRun& run) {
  run.args.erase(std::remove(run.args.begin(), run.args.end(), "-q"), run.args.end());
}

class OperatorOutput : public IntegrationSuite<OperatorOutput> {
 protected:
  static void SetUpTestSuite() { StartShared(SuiteSetup::WithoutKafka()); }

  // `count` flights from sluice-fake-flights, then one line that is not JSON.
  std::string FlightsWithOnePoisonLine(uint64_t count) {
    const std::string path = dir_ + "/in.ndjson";
    testing::ProcessResult g = testing::WriteFlightsFile(path, count, 7);
    EXPECT_EQ(g.exit_code, 0) << g.err;
    WriteFileText(path, ReadFileText(path) + "this is not json\n");
    return path;
  }

  // A file run that rejects (and skips) the poison line: it logs at least one warning.
  testing::ProcessResult RunWithAWarning(const std::string& sink, const std::vector<std::string>& extra) {
    SluiceRun run = FileRun(*emulator_, sink, "file:" + FlightsWithOnePoisonLine(50));
    run.args.push_back("--skip-rejected");
    run.args.insert(run.args.end(), extra.begin(), extra.end());
    return testing::RunProcess(run.Options(), kRunTimeoutMs);
  }
};

TEST_F(OperatorOutput, TextLogLinesCarryTimestampAndLevel) {
  testing::ProcessResult r = RunWithAWarning("text-log", {});
  ASSERT_FALSE(r.timed_out) << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.all();
  const std::vector<std::string> lines = Lines(r.err);
  ASSERT_FALSE(lines.empty());
  static const std::regex kLine(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (ERROR|WARN |INFO |DEBUG) \S.*$)");
  for (const std::string& line : lines) EXPECT_TRUE(std::regex_match(line, kLine)) << "not a log line: " << line;
  EXPECT_NE(r.err.find(" WARN  pipeline: rejected record at "), std::string::npos) << r.err;
  // The summary is the result: stdout.
  EXPECT_NE(r.out.find("consumed 51, delivered 50, rejected 1"), std::string::npos) << r.all();
}

TEST_F(OperatorOutput, JsonLogLinesParse) {
  testing::ProcessResult r = RunWithAWarning("json-log", {"--log-format", "json"});
  ASSERT_FALSE(r.timed_out) << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.all();
  const std::vector<std::string> lines = Lines(r.err);
  ASSERT_FALSE(lines.empty());
  simdjson::dom::parser parser;
  bool saw_warning = false;
  for (const std::string& line : lines) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << "not JSON: " << line;
    std::string_view ts, level, msg;
    ASSERT_EQ(doc["ts"].get(ts), simdjson::SUCCESS) << line;
    ASSERT_EQ(doc["level"].get(level), simdjson::SUCCESS) << line;
    ASSERT_EQ(doc["msg"].get(msg), simdjson::SUCCESS) << line;
    EXPECT_TRUE(std::regex_match(std::string(ts), std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")))
        << line;
    if (level == "warn" && msg.find("rejected record") != std::string_view::npos) saw_warning = true;
  }
  EXPECT_TRUE(saw_warning) << r.err;
}

TEST_F(OperatorOutput, LogLevelErrorSuppressesWarnings) {
  testing::ProcessResult r = RunWithAWarning("quiet-log", {"--log-level", "error"});
  ASSERT_FALSE(r.timed_out) << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(r.err.find("rejected record"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("WARN"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("rejected 1"), std::string::npos) << r.all();
}

TEST_F(OperatorOutput, StartupErrorPrintsTheErrorAloneInUserTerms) {
  // The metrics address is taken (by the emulator): the run cannot start.
  const std::string taken = emulator_->base().substr(std::string("http://").size());
  SluiceRun run = FileRun(*emulator_, "startup", "file:" + FlightsWithOnePoisonLine(5));
  run.args.insert(run.args.end(), {"--metrics-addr", taken});
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_EQ(r.all().find("consumed 0"), std::string::npos) << "an all-zero summary before the error:\n" << r.all();
  EXPECT_EQ(r.all().find("UNAVAILABLE"), std::string::npos) << r.all();
  EXPECT_NE(r.err.find(" ERROR "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(taken), std::string::npos) << "the error should name the address\n" << r.err;
}

TEST_F(OperatorOutput, ConfigurationErrorNamesTheFlagWithoutAStatusName) {
  SluiceRun run = FileRun(*emulator_, "config", "file:" + FlightsWithOnePoisonLine(5));
  run.args.insert(run.args.end(), {"--max-retries", "-5"});
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("--max-retries must be >= -1"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("INVALID_ARGUMENT"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("max_retries"), std::string::npos) << r.err;

  SluiceRun ch = FileRun(*emulator_, "config", "file:" + FlightsWithOnePoisonLine(5));
  ch.args.insert(ch.args.end(), {"--sink-format", "clickhouse", "--payload", "mapped"});
  r = testing::RunProcess(ch.Options(), kRunTimeoutMs);
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("--clickhouse-table"), std::string::npos) << r.err;
}

TEST_F(OperatorOutput, GivingUpCountsTheSameRetriesAsTheReport) {
  // A bound socket that never listens: every connection is refused.
  const int sock = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/ingest";

  SluiceRun run;
  run.args = {"--schema",
              SchemaPath(),
              "--table",
              TablePath(),
              "--source",
              "file:" + FlightsWithOnePoisonLine(5),
              "--sink-url",
              url,
              "--sink-format",
              "ndjson",
              "--skip-rejected",
              "-q",
              "--max-retries",
              "2",
              "--backoff-initial-ms",
              "1",
              "--backoff-max-ms",
              "2",
              "--concurrency",
              "1",
              "--report",
              dir_ + "/refused.json"};
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  close(sock);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("giving up after 2 retries"), std::string::npos) << r.err;
  const testing::RunReport report = testing::ParseReport(ReadFileText(dir_ + "/refused.json"));
  ASSERT_TRUE(report.parsed);
  EXPECT_EQ(report.retries_total, 2) << "the error says 2 retries";
  EXPECT_NE(r.out.find("retries 2,"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("error:"), std::string::npos) << "the error is printed once, by the log\n" << r.out;
}

TEST_F(OperatorOutput, OffATerminalProgressIsALogLineWithTheFigures) {
  SluiceRun run = FileRun(*emulator_, "progress", "file:" + FlightsWithOnePoisonLine(200));
  WithoutQuiet(run);
  run.args.insert(run.args.end(), {"--skip-rejected", "--progress-interval", "50ms"});
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r.timed_out) << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.all();
  // At least the last one (written at the end whatever the interval) has the final figures.
  EXPECT_NE(r.err.find(" INFO  progress: consumed 201 ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("delivered 200 ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in flight 0  rejected 1"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\r"), std::string::npos) << "no terminal control off a terminal";

  SluiceRun json = FileRun(*emulator_, "progress-json", "file:" + FlightsWithOnePoisonLine(200));
  WithoutQuiet(json);
  json.args.insert(json.args.end(), {"--skip-rejected", "--log-format", "json"});
  r = testing::RunProcess(json.Options(), kRunTimeoutMs);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  simdjson::dom::parser parser;
  bool saw_final = false;
  for (const std::string& line : Lines(r.err)) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
    std::string_view component;
    if (doc["component"].get(component) != simdjson::SUCCESS || component != "progress") continue;
    bool final_update = false;
    if (doc["final"].get(final_update) != simdjson::SUCCESS || !final_update) continue;
    saw_final = true;
    uint64_t consumed = 0, delivered = 0, in_flight = 9, rejected = 0;
    EXPECT_EQ(doc["consumed"].get(consumed), simdjson::SUCCESS);
    EXPECT_EQ(doc["delivered"].get(delivered), simdjson::SUCCESS);
    EXPECT_EQ(doc["in_flight"].get(in_flight), simdjson::SUCCESS);
    EXPECT_EQ(doc["rejected"].get(rejected), simdjson::SUCCESS);
    EXPECT_EQ(consumed, 201u);
    EXPECT_EQ(delivered, 200u);
    EXPECT_EQ(in_flight, 0u);
    EXPECT_EQ(rejected, 1u);
  }
  EXPECT_TRUE(saw_final) << r.err;

  SluiceRun quiet = FileRun(*emulator_, "progress-quiet", "file:" + FlightsWithOnePoisonLine(20));
  quiet.args.insert(quiet.args.end(), {"--skip-rejected", "--progress-interval", "1ms"});  // and -q
  r = testing::RunProcess(quiet.Options(), kRunTimeoutMs);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(r.err.find("progress"), std::string::npos) << "-q turns progress off\n" << r.err;
}

TEST_F(OperatorOutput, OnATerminalProgressIsAStatusLineTheLogDoesNotBreak) {
  // util-linux script(1) gives sluice a pseudo-terminal as stdin/stdout/stderr.
  if (access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/script (util-linux)";
  SluiceRun run = FileRun(*emulator_, "progress-tty", "file:" + FlightsWithOnePoisonLine(200));
  WithoutQuiet(run);
  run.args.push_back("--skip-rejected");
  std::string command;
  for (const std::string& a : run.Options().argv) command += "'" + a + "' ";
  testing::ProcessOptions o;
  o.argv = {"/usr/bin/script", "-qec", command, "/dev/null"};
  o.env = run.env;
  testing::ProcessResult r = testing::RunProcess(o, kRunTimeoutMs);
  ASSERT_FALSE(r.timed_out) << r.all();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  // The final status line, drawn in place and then kept.
  EXPECT_NE(r.out.find("\r\033[Kconsumed 201 ("), std::string::npos) << r.out;
  // The warning was written as a whole line, not glued to a status line.
  static const std::regex kWarning(R"((^|\n|\033\[K)\d{4}-\d{2}-\d{2}T[^ ]+ WARN  pipeline: rejected record)");
  EXPECT_TRUE(std::regex_search(r.out, kWarning)) << r.out;
}

TEST_F(OperatorOutput, BoundedKafkaRunReportsPartitionsTotalAndLag) {
  std::string error;
  auto kafka = MockKafkaProcess::Start({}, &error);
  ASSERT_NE(kafka, nullptr) << error;
  ASSERT_EQ(kafka->CreateTopic("progress-topic", 3), "");
  testing::ProcessResult produced = ProduceFlights(kafka->bootstrap(), "progress-topic", 300, 11);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  SluiceRun run = KafkaRun(*emulator_, "progress-kafka", kafka->bootstrap(), "progress-topic", "g-progress");
  WithoutQuiet(run);
  run.args.insert(run.args.end(), {"--until-caught-up", "-X", kShortSession});
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r.timed_out) << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find(" INFO  progress: assigned 3 partitions"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("consumed 300 ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  of 300: 100.0%, lag 0, eta 0s"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice::it
