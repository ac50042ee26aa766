// What an operator sees, with the real executables: the --config file (paths relative to the
// file, refusals with a line and a suggestion), SLUICE_<FLAG> variables and their precedence
// (flag > environment > file, observed in the batches the run cut), secrets given through the
// environment kept out of every output and of the report, the layout the run and bench reports
// share, and the metrics endpoint (":PORT", /healthz, /ready following the sink, bytes sent,
// requests by status, build info, process_* families).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <regex>
#include <sstream>
#include <thread>

#include "app/common/http_get.h"
#include "tests/integration/integration_env.h"
#include "tests/testing/sluice_metrics.h"

namespace sluice::it {
namespace {

constexpr int kRunTimeoutMs = 100000;
constexpr const char* kHeaderSecret = "hdr-Kq3!SECRET-in-env-9921";

class Operability : public IntegrationSuite<Operability> {
 protected:
  static void SetUpTestSuite() { StartShared(SuiteSetup::WithoutKafka()); }

  /// The sink and auth flags without --schema/--table (a config file gives those).
  static std::vector<std::string> SinkOnlyArgs(const std::string& sink) {
    return {"--sink-url", emulator_->SinkUrl(sink), "--auth", "featurebase", "--auth-url", emulator_->AuthUrl(), "-q"};
  }
};

/// The report's "settings" member `name`: a scalar as text (strings unquoted), a list as
/// "[a,b]"; "<absent>" when missing.
std::string Setting(const std::string& report, const std::string& name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(report).get(doc)) return "<not json>";
  simdjson::dom::element v;
  if (doc["settings"][name].get(v)) return "<absent>";
  std::string_view s;
  if (!v.get_string().get(s)) return std::string(s);
  simdjson::dom::array a;
  if (!v.get_array().get(a)) {
    std::string out = "[";
    for (simdjson::dom::element e : a) {
      std::string_view item;
      out += (out.size() > 1 ? "," : "") + std::string(e.get_string().get(item) ? "?" : std::string(item));
    }
    return out + "]";
  }
  return simdjson::minify(v);
}

TEST_F(Operability, FlagsWinOverTheEnvironmentWhichWinsOverTheConfigFile) {
  const std::string input = dir_ + "/flights.ndjson";
  Generate(input, 600, 11);
  // A long linger: batches are sealed by size only (and at the end of the input), so the
  // number of batches says which batch size the run used.
  const std::string config = dir_ + "/sluice.toml";
  WriteFileText(config, "batch-size = 100\nlinger-ms = 600000\n");
  struct Case {
    const char* name;
    std::vector<std::string> env;
    std::vector<std::string> flags;
    int64_t batches;
    const char* batch_size;
  };
  const std::vector<Case> cases = {
      {"file", {}, {}, 6, "100"},
      {"env", {"SLUICE_BATCH_SIZE=200"}, {}, 3, "200"},
      {"flag", {"SLUICE_BATCH_SIZE=200"}, {"--batch-size", "300"}, 2, "300"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string sink = std::string("precedence-") + c.name;
    const std::string report = dir_ + "/" + c.name + ".json";
    SluiceRun run = FileRun(*emulator_, sink, "file:" + input);
    run.args.insert(run.args.end(), {"--config", config, "--report", report});
    run.args.insert(run.args.end(), c.flags.begin(), c.flags.end());
    run.env.insert(run.env.end(), c.env.begin(), c.env.end());
    testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
    ASSERT_FALSE(r.timed_out) << r.err;
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string text = ReadFileText(report);
    EXPECT_EQ(ReportInt(text, "delivered"), 600);
    EXPECT_EQ(ReportInt(text, "batches"), c.batches) << text;
    EXPECT_EQ(Setting(text, "batch-size"), c.batch_size) << text;
  }
}

TEST_F(Operability, PathsInAConfigFileAreRelativeToItsFolder) {
  // The run starts in the test's working directory; everything it reads and writes is named
  // relative to the config file's folder.
  const std::string folder = dir_ + "/conf";
  ASSERT_EQ(std::system(("mkdir -p '" + folder + "'").c_str()), 0);
  WriteFileText(folder + "/schema.json", ReadFileText(SchemaPath()));
  WriteFileText(folder + "/table.json", ReadFileText(TablePath()));
  Generate(folder + "/in.ndjson", 300, 12);
  WriteFileText(folder + "/job.toml",
                "schema = \"schema.json\"\ntable = \"table.json\"\nsource = \"file:in.ndjson\"\n"
                "report = \"report.json\"\n");
  SluiceRun run;
  run.args = SinkOnlyArgs("relative-paths");
  run.args.insert(run.args.end(), {"--config", folder + "/job.toml"});
  run.env = testing::CredentialEnv(kAccount);
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r.timed_out) << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportInt(ReadFileText(folder + "/report.json"), "delivered"), 300) << "no report next to the config";
  EXPECT_EQ(emulator_->Stats("relative-paths").distinct_ids, 300u);
}

TEST_F(Operability, AConfigFileIsRefusedWithTheLineAndTheNearestKnownKey) {
  const std::string typo = dir_ + "/typo.toml";
  WriteFileText(typo, "# a job\nbatch-size = 100\n\nbatch_sise = 5\n");
  SluiceRun run = FileRun(*emulator_, "never", "file:/dev/null");
  run.args.insert(run.args.end(), {"--config", typo});
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("typo.toml line 4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown key \"batch_sise\"; did you mean \"batch-size\"?"), std::string::npos) << r.err;

  const std::string open_string = dir_ + "/open.toml";
  WriteFileText(open_string, "batch-size = 100\nsink-format = \"ndjson\n");
  SluiceRun run2 = FileRun(*emulator_, "never", "file:/dev/null");
  run2.args.insert(run2.args.end(), {"--config", open_string});
  testing::ProcessResult r2 = testing::RunProcess(run2.Options(), kRunTimeoutMs);
  EXPECT_EQ(r2.exit_code, 2) << r2.err;
  EXPECT_NE(r2.err.find("open.toml line 2"), std::string::npos) << r2.err;
}

TEST_F(Operability, SecretsFromTheEnvironmentNeverReachTheOutputOrTheReport) {
  const std::string input = dir_ + "/flights.ndjson";
  Generate(input, 200, 13);
  const std::string report = dir_ + "/secrets.json";
  SluiceRun run = FileRun(*emulator_, "secrets", "file:" + input);
  run.args.insert(run.args.end(), {"--report", report, "--debug"});
  // The password comes from SLUICE_PASSWORD (CredentialEnv); a credential header from the
  // header flag's variable.
  run.env.push_back(std::string("SLUICE_HEADER=X-Access-Token: ") + kHeaderSecret);
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  ASSERT_FALSE(r.timed_out) << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string text = ReadFileText(report);
  EXPECT_EQ(ReportInt(text, "delivered"), 200);
  for (const std::string& secret : {std::string(kPassword), std::string(kHeaderSecret)}) {
    EXPECT_EQ(r.all().find(secret), std::string::npos) << "a secret reached sluice's output";
    EXPECT_EQ(text.find(secret), std::string::npos) << "a secret reached the report";
  }
  EXPECT_EQ(Setting(text, "header"), "[X-Access-Token: set]") << text;
  EXPECT_EQ(Setting(text, "secrets.SLUICE_PASSWORD"), "from env") << text;
  EXPECT_EQ(Setting(text, "secrets.SLUICE_USERNAME"), "from env") << text;
}

/// Checks the members every report shares; "" when they are all there and well formed.
std::string SharedLayoutProblems(const std::string& report) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(report).get(doc)) return "not JSON: " + report;
  std::string problems;
  std::string_view text;
  if (doc["sluice"]["version"].get_string().get(text) || text.empty()) problems += "sluice.version; ";
  if (doc["sluice"]["commit"].get_string().get(text) || text.empty()) problems += "sluice.commit; ";
  static const std::regex kRfc3339(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$)");
  std::string_view started, ended;
  if (doc["started_at"].get_string().get(started) || !std::regex_match(std::string(started), kRfc3339))
    problems += "started_at; ";
  if (doc["ended_at"].get_string().get(ended) || !std::regex_match(std::string(ended), kRfc3339))
    problems += "ended_at; ";
  if (!problems.empty()) return problems;
  if (started > ended) problems += "started_at after ended_at; ";
  uint64_t count = 0;
  if (doc["request_latency_ms"]["count"].get_uint64().get(count) || count == 0)
    problems += "request_latency_ms.count; ";
  for (const char* p : {"p50", "p90", "p99", "p999", "max"}) {
    double v = -1;
    if (doc["request_latency_ms"][p].get_double().get(v) || v < 0)
      problems += std::string("request_latency_ms.") + p + "; ";
  }
  for (const char* k : {"total", "throttled", "server", "network"}) {
    uint64_t v = 0;
    if (doc["retries"][k].get_uint64().get(v)) problems += std::string("retries.") + k + "; ";
  }
  for (const char* k : {"rejected_records", "fatal"}) {
    uint64_t v = 0;
    if (doc["errors"][k].get_uint64().get(v)) problems += std::string("errors.") + k + "; ";
  }
  int64_t batch_size = 0;
  if (doc["settings"]["batch-size"].get_int64().get(batch_size) || batch_size != 250)
    problems += "settings.batch-size; ";
  if (doc["error"].get_string().get(text)) problems += "error; ";
  return problems;
}

TEST_F(Operability, RunAndBenchReportsShareOneLayout) {
  const std::string input = dir_ + "/flights.ndjson";
  Generate(input, 500, 14);
  const std::string run_report = dir_ + "/run.json";
  SluiceRun run = FileRun(*emulator_, "layout-run", "file:" + input);
  run.args.insert(run.args.end(), {"--report", run_report, "--batch-size", "250"});
  testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(SharedLayoutProblems(ReadFileText(run_report)), "") << ReadFileText(run_report);

  const std::string bench_report = dir_ + "/bench.json";
  testing::ProcessOptions bench;
  bench.argv = {BinDir() + "/sluice",
                "bench",
                "--sink-url",
                emulator_->SinkUrl("layout-bench"),
                "--auth",
                "featurebase",
                "--auth-url",
                emulator_->AuthUrl(),
                "--schema",
                SchemaPath(),
                "--table",
                TablePath(),
                "--records",
                "1000",
                "--warmup",
                "0",
                "--batch-size",
                "250",
                "--report",
                bench_report,
                "-q"};
  bench.env = testing::CredentialEnv(kAccount);
  testing::ProcessResult b = testing::RunProcess(bench, kRunTimeoutMs);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(SharedLayoutProblems(ReadFileText(bench_report)), "") << ReadFileText(bench_report);
}

/// GET `url`: status and body; status 0 when nothing answered.
tools::HttpResponse Get(const std::string& url) {
  StatusOr<tools::HttpResponse> r = tools::HttpGet(url);
  return r.ok() ? *r : tools::HttpResponse{};
}

/// Polls GET `url` until it answers `status`, at most `timeout`; the last answer.
tools::HttpResponse WaitForStatus(const std::string& url, long status, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  tools::HttpResponse last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = Get(url);
    if (last.status == status) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return last;
}

/// The value of the sample line starting with `series` ("name" or "name{labels}"); -1 if absent.
double SampleValue(const std::string& metrics, const std::string& series) {
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::strtod(line.c_str() + series.size() + 1, nullptr);
  }
  return -1;
}

TEST_F(Operability, MetricsEndpointServesHealthReadinessAndProcessFamilies) {
  std::string error;
  std::unique_ptr<MockKafkaProcess> kafka = MockKafkaProcess::Start({1, "ops", 2}, &error);
  ASSERT_NE(kafka, nullptr) << error;
  ASSERT_EQ(ProduceFlights(kafka->bootstrap(), "ops", 400, 15).exit_code, 0);

  SluiceRun run = KafkaRun(*emulator_, "metrics", kafka->bootstrap(), "ops", "ops-metrics");
  // ":PORT" is every interface, as Prometheus exporters take it; port 0 picks a free one.
  run.args.insert(run.args.end(),
                  {"--metrics-addr", ":0", "--linger-ms", "50", "--max-retries", "-1", "--backoff-max-ms", "200"});
  std::unique_ptr<testing::Subprocess> child = testing::Subprocess::Start(run.Options(), &error);
  ASSERT_NE(child, nullptr) << error;
  std::string metrics_url;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (metrics_url.empty() && child->Running() && std::chrono::steady_clock::now() < deadline) {
    metrics_url = testing::MetricsUrl(child->StderrSoFar());
    if (metrics_url.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(metrics_url.empty()) << child->StderrSoFar();
  const std::string base = metrics_url.substr(0, metrics_url.size() - std::string("/metrics").size());

  const tools::HttpResponse health = Get(base + "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  // Ready once the consumer has its partitions and the sink answers.
  tools::HttpResponse ready = WaitForStatus(base + "/ready", 200, std::chrono::seconds(60));
  ASSERT_EQ(ready.status, 200) << ready.body;
  ASSERT_EQ(emulator_->WaitForDistinctIds("metrics", 400, std::chrono::seconds(60)), 400u);

  const tools::HttpResponse scrape = Get(metrics_url);
  ASSERT_EQ(scrape.status, 200);
  const std::string& m = scrape.body;
  EXPECT_GT(SampleValue(m, "sluice_bytes_sent_total"), 0) << m;
  EXPECT_GT(SampleValue(m, "sluice_http_requests_total{code=\"200\"}"), 0) << m;
  EXPECT_NE(m.find("# TYPE sluice_build_info gauge\nsluice_build_info{version=\""), std::string::npos) << m;
  EXPECT_NE(m.find("librdkafka=\""), std::string::npos) << m;
  EXPECT_GT(SampleValue(m, "process_resident_memory_bytes"), 1e6) << m;
  EXPECT_GE(SampleValue(m, "process_cpu_seconds_total"), 0) << m;
  EXPECT_GT(SampleValue(m, "process_open_fds"), 2) << m;
  EXPECT_GT(SampleValue(m, "process_max_fds"), SampleValue(m, "process_open_fds")) << m;
  const double started = SampleValue(m, "process_start_time_seconds");
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(started, now - 3600) << m;
  EXPECT_LE(started, now + 1) << m;

  // The sink fails: the next request's answer makes the instance not ready, and it is ready
  // again once the sink answers.
  ASSERT_TRUE(emulator_->Admin("stop"));
  ASSERT_EQ(ProduceFlights(kafka->bootstrap(), "ops", 50, 16, 1000).exit_code, 0);
  tools::HttpResponse not_ready = WaitForStatus(base + "/ready", 503, std::chrono::seconds(60));
  EXPECT_EQ(not_ready.status, 503) << not_ready.body;
  EXPECT_NE(not_ready.body.find("sink"), std::string::npos) << not_ready.body;
  EXPECT_GT(SampleValue(Get(metrics_url).body, "sluice_http_requests_total{code=\"503\"}"), 0);
  ASSERT_TRUE(emulator_->Admin("start"));
  ready = WaitForStatus(base + "/ready", 200, std::chrono::seconds(60));
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(emulator_->WaitForDistinctIds("metrics", 450, std::chrono::seconds(60)), 450u);

  child->Signal(SIGTERM);
  testing::ProcessResult end = child->Wait(60000);
  EXPECT_EQ(end.exit_code, 0) << end.err;
}

}  // namespace
}  // namespace sluice::it
