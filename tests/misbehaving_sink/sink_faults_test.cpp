// A sink that is unreachable, hangs, fails or refuses everything, and data that is partly bad:
// the real `sluice run --source file:` (fake flights) against sluice-misbehaving-sink processes
// or a closed port. Checked per case: the exit status, the message (the sink named, the cause
// quoted, secrets masked), what was dead-lettered and what the report says:
//  - a closed port: a warning with the retries and the oldest waiting batch while it retries
//    (no flag needed), and --sink-unavailable-timeout ends the run with exit 1 naming the sink
//    and the last error; the same for a sink that hangs, closes the connection or answers 503;
//  - a sink answering 400 to everything stops the run as a configuration error quoting its
//    answer, with --dlq (nothing dead-lettered) and without (the data is not blamed);
//  - some bad records: exit 0 with a last line saying how many were dead-lettered,
//    --fail-on-rejects makes it 5; more than --max-reject-ratio rejected stops the run.
// Readiness comes from the child's output, never from a sleep; the timeouts are short and only
// the exit status and the messages are asserted.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/common/child_process.h"
#include "tests/testing/loopback_port.h"
#include "tests/testing/process_env.h"
#include "tests/testing/run_report.h"
#include "tests/testing/subprocess.h"

namespace sluice::testing {
namespace {

constexpr int kRunTimeoutMs = 120000;
constexpr const char* kApiKey = "akey-SINKFAULT-5d1e";

/// bin/sluice-misbehaving-sink as a child process (stopped with SIGTERM on destruction).
class MisbehavingSink {
 public:
  static std::unique_ptr<MisbehavingSink> Start(const std::string& script, std::string* error) {
    auto child = tools::ChildProcess::Start({BinDir() + "/sluice-misbehaving-sink", "--script", script});
    if (!child.ok()) {
      *error = child.status().ToString();
      return nullptr;
    }
    StatusOr<std::string> line = (*child)->ReadLine(20000);
    const std::string prefix = "listening on ";
    if (!line.ok() || line->rfind(prefix, 0) != 0) {
      *error = "sluice-misbehaving-sink did not print its address";
      return nullptr;
    }
    auto s = std::unique_ptr<MisbehavingSink>(new MisbehavingSink());
    s->child_ = std::move(*child);
    s->base_ = "http://" + line->substr(prefix.size());
    return s;
  }
  std::string url() const { return base_ + "/ingest"; }

 private:
  MisbehavingSink() = default;
  std::unique_ptr<tools::ChildProcess> child_;
  std::string base_;
};

class SinkFaults : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("sinkfaults"); }

  /// `count` fake flights as NDJSON; every `bad_of_10` of each 10 lines replaced by a line
  /// that is not JSON (rejected by the parser).
  std::string Flights(uint64_t count, int bad_of_10 = 0) {
    const std::string path = dir_ + "/flights.ndjson";
    ProcessResult g = WriteFlightsFile(path, count, 9);
    EXPECT_EQ(g.exit_code, 0) << g.err;
    if (bad_of_10 == 0) return path;
    const std::string text = ReadFileText(path);
    std::string out;
    size_t i = 0;
    for (size_t at = 0; at < text.size(); ++i) {
      size_t nl = text.find('\n', at);
      if (nl == std::string::npos) nl = text.size();
      out += static_cast<int>(i % 10) < bad_of_10 ? std::string("{not json") : text.substr(at, nl - at);
      out += '\n';
      at = nl + 1;
    }
    const std::string bad = dir_ + "/flights-bad.ndjson";
    WriteFileText(bad, out);
    return bad;
  }

  std::vector<std::string> Args(const std::string& flights, const std::string& url,
                                const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {
        "--source", "file:" + flights, "--schema", SchemaPath(), "--table",      TablePath(), "--sink-url", url,
        "--auth",   "api-key",         "--report", report(),     "--batch-size", "50",        "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  ProcessResult Run(const std::string& flights, const std::string& url, const std::vector<std::string>& extra) {
    return RunProcess(SluiceRunOptions(Args(flights, url, extra), {std::string("SLUICE_API_KEY=") + kApiKey}),
                      kRunTimeoutMs);
  }

  std::string report() const { return dir_ + "/report.json"; }
  std::string dlq() const { return dir_ + "/dlq.ndjson"; }
  size_t DlqLines() const {
    const std::string text = ReadFileText(dlq());
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }

  /// The run stopped at --sink-unavailable-timeout naming `url` and nothing was delivered.
  void ExpectStoppedUnavailable(const ProcessResult& r, const std::string& url) {
    ASSERT_FALSE(r.timed_out) << r.err;
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("sink " + url + " acknowledged nothing for"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--sink-unavailable-timeout 1.0 s"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("last error: "), std::string::npos) << r.err;
    EXPECT_EQ(r.all().find(kApiKey), std::string::npos) << "the API key leaked\n" << r.all();
    EXPECT_EQ(ReportInt(ReadFileText(report()), "delivered"), 0) << ReadFileText(report());
  }

  std::string dir_;
};

TEST_F(SinkFaults, ClosedPortIsReportedWhileRetryingWithoutAnyFlag) {
  const int port = UnusedLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/ingest";
  std::string error;
  std::unique_ptr<Subprocess> p =
      Subprocess::Start(SluiceRunOptions(Args(Flights(100), url, {"--drain-timeout-ms", "100"}),
                                         {std::string("SLUICE_API_KEY=") + kApiKey}),
                        &error);
  ASSERT_NE(p, nullptr) << error;
  const std::string warning = "sink " + url + ": ";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string err;
  while (std::chrono::steady_clock::now() < deadline && p->Running()) {
    err = p->StderrSoFar();
    if (err.find(warning) != std::string::npos && err.find(", oldest batch waiting ") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  p->Signal(SIGTERM);
  ProcessResult r = p->Wait(60000);
  const size_t at = r.err.find(warning);
  ASSERT_NE(at, std::string::npos) << "no warning while the sink was unreachable\n" << r.err;
  const std::string line = r.err.substr(at, r.err.find('\n', at) - at);
  EXPECT_NE(line.find("Connection refused, retrying: "), std::string::npos) << line;
  EXPECT_NE(line.find(" retr"), std::string::npos) << line;
  EXPECT_NE(line.find(", oldest batch waiting "), std::string::npos) << line;
}

TEST_F(SinkFaults, ClosedPortStopsAtTheUnavailableTimeout) {
  const int port = UnusedLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/ingest";
  ProcessResult r = Run(Flights(100), url, {"--sink-unavailable-timeout", "1s"});
  ExpectStoppedUnavailable(r, url);
  EXPECT_NE(r.err.find("Connection refused"), std::string::npos) << r.err;
}

TEST_F(SinkFaults, HangingSinkStopsAtTheUnavailableTimeout) {
  std::string error;
  auto sink = MisbehavingSink::Start("hang", &error);
  ASSERT_NE(sink, nullptr) << error;
  // No answer and no failure yet (the request timeout is 30 s): the wait alone counts.
  ExpectStoppedUnavailable(Run(Flights(100), sink->url(), {"--sink-unavailable-timeout", "1s"}), sink->url());
}

TEST_F(SinkFaults, SinkClosingEveryConnectionStopsAtTheUnavailableTimeout) {
  std::string error;
  auto sink = MisbehavingSink::Start("close", &error);
  ASSERT_NE(sink, nullptr) << error;
  ProcessResult r = Run(Flights(100), sink->url(), {"--sink-unavailable-timeout", "1s"});
  ExpectStoppedUnavailable(r, sink->url());
  EXPECT_NE(r.err.find("sink " + sink->url() + ": "), std::string::npos) << r.err;
}

TEST_F(SinkFaults, Sink503StopsAtTheUnavailableTimeoutWithoutLeakingTheKey) {
  std::string error;
  // 503 quoting every request header, the API key among them.
  auto sink = MisbehavingSink::Start("echo-headers:503", &error);
  ASSERT_NE(sink, nullptr) << error;
  ProcessResult r = Run(Flights(100), sink->url(), {"--sink-unavailable-timeout", "1s"});
  ExpectStoppedUnavailable(r, sink->url());
  EXPECT_NE(r.err.find("sink " + sink->url() + ": HTTP 503"), std::string::npos) << r.err;
}

TEST_F(SinkFaults, FourHundredToEverythingIsAConfigurationErrorWithADlq) {
  std::string error;
  auto sink = MisbehavingSink::Start("status:400", &error);
  ASSERT_NE(sink, nullptr) << error;
  ProcessResult r = Run(Flights(200), sink->url(), {"--dlq", "file:" + dlq()});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("refused every one of the 50 records of a batch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("status 400 from the misbehaving sink"), std::string::npos) << "the sink's answer is quoted\n"
                                                                                   << r.err;
  EXPECT_NE(r.err.find("check --sink-url, --sink-format and the schema"), std::string::npos) << r.err;
  EXPECT_EQ(DlqLines(), 0u) << "nothing may be dead-lettered for a configuration error";
  const std::string text = ReadFileText(report());
  EXPECT_EQ(ReportInt(text, "dead_lettered"), 0) << text;
  EXPECT_NE(text.find("\"ok\": false"), std::string::npos) << text;
}

TEST_F(SinkFaults, FourHundredToEverythingDoesNotBlameTheDataWithoutADlq) {
  std::string error;
  auto sink = MisbehavingSink::Start("status:400", &error);
  ASSERT_NE(sink, nullptr) << error;
  ProcessResult r = Run(Flights(200), sink->url(), {});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("that is a configuration error, not bad data"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("rejected record at"), std::string::npos) << r.err;
}

TEST_F(SinkFaults, SomeBadRecordsEndWithALineSayingSoAndExitZero) {
  std::string error;
  auto sink = MisbehavingSink::Start("ok", &error);
  ASSERT_NE(sink, nullptr) << error;
  ProcessResult r = Run(Flights(2000, 1), sink->url(), {"--dlq", "file:" + dlq()});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(LastLogMessage(r.err),
            "run: done with rejects: 200 records rejected, 200 dead-lettered to file:" + dlq() + " (exit status 0)")
      << r.err;
  const std::string text = ReadFileText(report());
  EXPECT_EQ(ReportInt(text, "rejected"), 200) << text;
  EXPECT_EQ(ReportInt(text, "dead_lettered"), 200) << text;
  EXPECT_EQ(DlqLines(), 200u);
}

TEST_F(SinkFaults, FailOnRejectsMakesRejectsExitFive) {
  std::string error;
  auto sink = MisbehavingSink::Start("ok", &error);
  ASSERT_NE(sink, nullptr) << error;
  ProcessResult r = Run(Flights(2000, 1), sink->url(), {"--dlq", "file:" + dlq(), "--fail-on-rejects"});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(LastLogMessage(r.err).find("200 records rejected"), std::string::npos) << r.err;
  EXPECT_EQ(DlqLines(), 200u);
}

TEST_F(SinkFaults, FailOnRejectsWithoutRejectsExitsZero) {
  std::string error;
  auto sink = MisbehavingSink::Start("ok", &error);
  ASSERT_NE(sink, nullptr) << error;
  ProcessResult r = Run(Flights(500), sink->url(), {"--dlq", "file:" + dlq(), "--fail-on-rejects"});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(SinkFaults, MoreRejectedThanTheDefaultMaxRejectRatioStopsTheRun) {
  std::string error;
  auto sink = MisbehavingSink::Start("ok", &error);
  ASSERT_NE(sink, nullptr) << error;
  // 60% of 5000 records are not JSON; the default --max-reject-ratio is 0.5.
  ProcessResult r = Run(Flights(5000, 6), sink->url(), {"--dlq", "file:" + dlq()});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("more than --max-reject-ratio 0.5"), std::string::npos) << r.err;
  EXPECT_LT(DlqLines(), 3000u) << "the rejections that tripped the ratio are not dead-lettered";
}

TEST_F(SinkFaults, ThirtyPercentBadRecordsStayBelowTheDefaultRatio) {
  std::string error;
  auto sink = MisbehavingSink::Start("ok", &error);
  ASSERT_NE(sink, nullptr) << error;
  // Rejections of the parser arrive before the deliveries of the same records: the default
  // ratio must not read that as 100% rejected.
  ProcessResult r = Run(Flights(5000, 3), sink->url(), {"--dlq", "file:" + dlq()});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(DlqLines(), 1500u);
}

}  // namespace
}  // namespace sluice::testing
