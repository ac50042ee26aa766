// `sluice bench` and `sluice sweep` against a real sluice-sink-emulator child process (from
// $SLUICE_BIN_DIR) on loopback, through the same CLI registration the sluice binary uses.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/bench/bench_commands.h"
#include "app/bench/bench_runner.h"
#include "app/common/child_process.h"  // ExecutableDir
#include "app/common/http_get.h"
#include "app/pipeline_setup/pipeline_setup.h"
#include "app/pipeline_setup/run_options.h"
#include "app/sweep/sweep_commands.h"
#include "engine/run_summary.h"
#include "stages/generator_source/flight_generator.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_files.h"

namespace sluice {
namespace {

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string Examples() { return Env("SLUICE_SOURCE_DIR", ".") + "/examples/flights"; }

using testing::ReadFileText;

bool HaveGnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

/// A sink emulator on an ephemeral loopback port; killed with the fixture.
class BenchAgainstEmulator : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string bin = Env("SLUICE_BIN_DIR", tools::ExecutableDir() + "/../bin");
    testing::ProcessOptions options;
    options.argv = {bin + "/sluice-sink-emulator", "--port", "0", "--table", Examples() + "/table.json", "--schema",
                    Examples() + "/schema.json"};
    std::string line, error;
    emulator_ = testing::StartServer(options, "listening on ", &line, &error);
    ASSERT_NE(emulator_, nullptr) << error;
    base_ = "http://" + line.substr(13);
  }

  void SetLatency(int ms) {
    auto r = tools::HttpPost(base_ + "/admin/faults", "{\"latency_ms\":" + std::to_string(ms) + "}");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, 200) << r->body;
  }

  /// `sluice COMMAND --sink-url <the emulator's SINK> --schema ... --table ...` (the flights
  /// example), then `flags`.
  std::vector<std::string> CommandLine(const std::string& command, const std::string& sink,
                                       const std::vector<std::string>& flags) const {
    std::vector<std::string> args = {"sluice",     command,
                                     "--sink-url", base_ + "/v2/sinks/" + sink,
                                     "--schema",   Examples() + "/schema.json",
                                     "--table",    Examples() + "/table.json"};
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }

  /// Parses `args` into `app` as the sluice binary would; a throw fails the test.
  static void Parse(CLI::App& app, std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    ASSERT_NO_THROW(app.parse(static_cast<int>(argv.size()), argv.data()));
  }

  bench::BenchOptions Options() const {
    bench::BenchOptions o;
    o.run.sink_urls = {base_ + "/v2/sinks/bench"};
    o.run.schema_file = Examples() + "/schema.json";
    o.run.table_file = Examples() + "/table.json";
    o.run.quiet = true;
    o.distinct_records = 5000;
    return o;
  }

  /// Closed loop with one request in flight gives the sink's capacity and its own p99; open
  /// loop at three times that rate makes requests queue, and the latency counted from each
  /// request's intended send time must show it while the service time does not.
  void ExpectOpenLoopP99GrowsWithTheQueue(uint32_t prebuilt_batches) {
    bench::BenchOptions closed = Options();
    closed.run.batch_size = 100;
    closed.run.concurrency = "1";
    closed.prebuilt_batches = prebuilt_batches;
    closed.duration_s = 2;
    closed.warmup_s = 0.3;
    bench::BenchResult closed_result;
    Status s = bench::RunBench(closed, nullptr, closed_result);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(closed_result.mode, "closed");
    EXPECT_EQ(closed_result.Errors(), 0u);
    ASSERT_GT(closed_result.requests_per_s, 0);
    ASSERT_GT(closed_result.latency.count, 0u);
    EXPECT_GE(closed_result.latency.p99_ms, 20.0) << "the emulator adds 20 ms to every answer";

    bench::BenchOptions open = closed;
    open.rate = 3 * closed_result.requests_per_s;
    open.rate_unit = "requests";
    bench::BenchResult open_result;
    s = bench::RunBench(open, nullptr, open_result);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(open_result.mode, "open");
    EXPECT_EQ(open_result.Errors(), 0u);
    ASSERT_GT(open_result.latency.count, 0u);
    EXPECT_GT(open_result.latency.p99_ms, 3 * closed_result.latency.p99_ms)
        << "open-loop p99 " << open_result.latency.p99_ms << " ms vs closed-loop p99 " << closed_result.latency.p99_ms
        << " ms";
    EXPECT_LT(open_result.service_latency.p99_ms, open_result.latency.p99_ms);
  }

  std::unique_ptr<testing::Subprocess> emulator_;
  std::string base_;
};

TEST_F(BenchAgainstEmulator, OpenLoopP99GrowsWithTheQueueWhileClosedLoopP99StaysNearServiceTime) {
  SetLatency(20);
  ExpectOpenLoopP99GrowsWithTheQueue(/*prebuilt_batches=*/0);
}

TEST_F(BenchAgainstEmulator, ReplayedOpenLoopP99AlsoCountsFromTheSchedule) {
  SetLatency(20);
  ExpectOpenLoopP99GrowsWithTheQueue(/*prebuilt_batches=*/8);
}

TEST_F(BenchAgainstEmulator, BenchCommandWritesAJsonReport) {
  const std::string report = ::testing::TempDir() + "/bench_report_" + std::to_string(getpid()) + ".json";
  CLI::App app;
  auto commands = bench::AddBenchCommands(app);
  ASSERT_NO_FATAL_FAILURE(Parse(app, CommandLine("bench", "bench",
                                                 {"--records", "3000", "--warmup", "0", "--batch-size", "250",
                                                  "--concurrency", "2", "--report", report, "-q"})));
  ASSERT_TRUE(commands->Parsed());
  EXPECT_EQ(commands->Run(nullptr), 0);
  const std::string json = ReadFileText(report);
  EXPECT_NE(json.find("\"mode\": \"closed\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"records\": 3000"), std::string::npos) << json;
  EXPECT_NE(json.find("\"requests\": 12"), std::string::npos) << json;
  EXPECT_NE(json.find("\"p99_ms\""), std::string::npos);
  auto stats = tools::HttpGet(base_ + "/v2/sinks/bench/stats");
  ASSERT_TRUE(stats.ok());
  EXPECT_NE(stats->body.find("\"records_received\":3000"), std::string::npos) << stats->body;
  std::remove(report.c_str());
}

/// The [[t, v], ...] array after `"key": ` in a report, as pairs.
std::vector<std::pair<double, double>> Series(const std::string& json, const std::string& key) {
  std::vector<std::pair<double, double>> out;
  size_t at = json.find("\"" + key + "\": [");
  if (at == std::string::npos) return out;
  at = json.find('[', at) + 1;
  while (true) {
    at = json.find_first_of("[]", at);
    if (at == std::string::npos || json[at] == ']') break;
    double t = 0, v = 0;
    if (std::sscanf(json.c_str() + at, "[%lf, %lf]", &t, &v) != 2) break;
    out.emplace_back(t, v);
    at = json.find(']', at) + 1;
  }
  return out;
}

TEST_F(BenchAgainstEmulator, AutoConcurrencyBenchReportsAndDrawsTheLimitOverTime) {
  SetLatency(20);  // so that more requests in flight pay off and the limit climbs
  const std::string dir = ::testing::TempDir() + "/bench_plot_" + std::to_string(getpid());
  const std::string report = dir + ".json";
  CLI::App app;
  auto commands = bench::AddBenchCommands(app);
  ASSERT_NO_FATAL_FAILURE(Parse(
      app, CommandLine("bench", "ramp",
                       {"--duration", "1500ms", "--warmup", "0", "--batch-size", "50", "--prebuilt-batches", "4",
                        "--concurrency", "auto", "--max-concurrency", "64", "--report", report, "--plot", dir, "-q"})));
  EXPECT_EQ(commands->Run(nullptr), 0);
  const std::string json = ReadFileText(report);
  const auto limits = Series(json, "concurrency_limit");
  ASSERT_GE(limits.size(), 5u) << json;
  EXPECT_EQ(limits.front().second, 10) << "auto starts at --initial-concurrency's default";
  double top = 0;
  for (const auto& [t, limit] : limits) top = std::max(top, limit);
  EXPECT_GE(top, 8) << "the limit never climbed: " << json;
  for (size_t i = 1; i < limits.size(); ++i) EXPECT_GT(limits[i].first, limits[i - 1].first);
  const auto rates = Series(json, "records_per_s_series");
  ASSERT_EQ(rates.size(), limits.size() - 1);
  double top_rate = 0;
  for (const auto& [t, rate] : rates) top_rate = std::max(top_rate, rate);
  EXPECT_GT(top_rate, 0);
  const std::string data = ReadFileText(dir + "/concurrency_timeline.dat");
  EXPECT_EQ(data.rfind("# t_s limit records_per_s\n", 0), 0u) << data;
  if (HaveGnuplot()) {
    const std::string png = ReadFileText(dir + "/concurrency_timeline.png");
    ASSERT_GT(png.size(), 1000u);
    EXPECT_EQ(png.substr(1, 3), "PNG");
  } else {
    GTEST_LOG_(INFO) << "gnuplot not installed: the chart was not checked";
  }
  std::remove(report.c_str());
  std::filesystem::remove_all(dir);
}

TEST_F(BenchAgainstEmulator, RunReportHasTheConcurrencyLimitOverTime) {
  SetLatency(20);
  // `sluice run` from a file into the emulator, through the same builder and ExecuteRun the
  // command uses.
  const std::string input = ::testing::TempDir() + "/run_series_" + std::to_string(getpid()) + ".ndjson";
  {
    std::ofstream out(input);
    FlightGenerator flights(/*seed=*/7, /*first_id=*/1);
    std::string flight;
    for (int i = 1; i <= 20000; ++i) {
      flight.clear();
      flights.Next(flight);
      out << flight << "\n";
    }
  }
  cli::RunOptions o;
  o.source = "file:" + input;
  o.sink_urls = {base_ + "/v2/sinks/runseries"};
  o.schema_file = Examples() + "/schema.json";
  o.table_file = Examples() + "/table.json";
  o.batch_size = 50;
  o.linger_ms = 5;
  o.concurrency = "auto";
  o.max_concurrency = 64;
  o.initial_concurrency = 3;
  o.quiet = true;
  o.report_file = input + ".json";
  auto built = cli::BuildRun(o);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  RunSummary summary;
  Status s = cli::ExecuteRun(**built, nullptr, summary);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(summary.delivered, 20000u);
  const std::string json = ReadFileText(o.report_file);
  const auto limits = Series(json, "concurrency_limit");
  ASSERT_GE(limits.size(), 2u) << json;
  EXPECT_EQ(limits.front().second, 3) << "the run starts at --initial-concurrency: " << json;
  double top = 0;
  for (const auto& [t, limit] : limits) top = std::max(top, limit);
  EXPECT_GT(top, 3) << json;
  std::remove(input.c_str());
  std::remove(o.report_file.c_str());
}

TEST_F(BenchAgainstEmulator, PrebuiltBatchesAreRenderedOnceAndReplayedInTurn) {
  bench::BenchOptions o = Options();
  o.run.sink_urls = {base_ + "/v2/sinks/replay"};
  o.run.batch_size = 250;
  o.run.concurrency = "2";
  o.prebuilt_batches = 4;
  o.records = 3000;  // 12 requests: the 4 bodies three times each
  o.duration_s = 0;
  o.warmup_s = 0;
  bench::BenchResult result;
  Status s = bench::RunBench(o, nullptr, result);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(result.prebuilt_batches, 4u);
  EXPECT_EQ(result.records, 3000u);
  EXPECT_EQ(result.requests, 12u);
  EXPECT_EQ(result.Errors(), 0u);
  EXPECT_NE(result.ToJson().find("\"prebuilt_batches\": 4"), std::string::npos);
  auto stats = tools::HttpGet(base_ + "/v2/sinks/replay/stats");
  ASSERT_TRUE(stats.ok());
  // Every record reached the sink, and only the pool's 1000 distinct records were sent.
  EXPECT_NE(stats->body.find("\"records_received\":3000"), std::string::npos) << stats->body;
  EXPECT_NE(stats->body.find("\"distinct_ids\":1000"), std::string::npos) << stats->body;
}

TEST_F(BenchAgainstEmulator, SmallSweepWritesCsvChartsAndAConfigThatParses) {
  SetLatency(5);
  const std::string out = ::testing::TempDir() + "/sweep_" + std::to_string(getpid());
  const std::string config = out + "/recommended.toml";
  CLI::App app;
  auto commands = bench::AddSweepCommands(app);
  ASSERT_NO_FATAL_FAILURE(Parse(
      app,
      CommandLine("sweep", "sweep",
                  {"--batch-sizes", "100,500", "--concurrency", "1,2", "--point-duration", "600ms", "--warmup", "200ms",
                   "--out", out, "--max-p99", "5000", "--write-config", config, "--distinct-records", "2000"})));
  ASSERT_EQ(commands->Run(nullptr), 0);

  const std::string csv = ReadFileText(out + "/sweep.csv");
  std::vector<std::string> lines;
  std::stringstream ss(csv);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 5u) << csv;
  EXPECT_EQ(lines[0],
            "batch_size,concurrency,payload,compress,records_per_s,mb_per_s,requests_per_s,p50_ms,p90_ms,"
            "p99_ms,p999_ms,max_ms,errors,retries");
  EXPECT_EQ(lines[1].rfind("100,1,raw,none,", 0), 0u) << lines[1];
  EXPECT_EQ(lines[4].rfind("500,2,raw,none,", 0), 0u) << lines[4];
  for (size_t i = 1; i < lines.size(); ++i) EXPECT_EQ(lines[i].substr(lines[i].size() - 4), ",0,0") << lines[i];

  if (HaveGnuplot()) {
    for (const char* name : {"throughput_heatmap.png", "p99_vs_throughput.png"}) {
      const std::string png = ReadFileText(out + "/" + name);
      ASSERT_GT(png.size(), 1000u) << name;
      EXPECT_EQ(png.substr(1, 3), "PNG") << name;
    }
    for (const char* name : {"throughput_heatmap.svg", "p99_vs_throughput.svg"}) {
      EXPECT_NE(ReadFileText(out + "/" + name).find("<svg"), std::string::npos) << name;
    }
  } else {
    GTEST_LOG_(INFO) << "gnuplot not installed: charts not checked";
  }
  const std::string recommendation = ReadFileText(out + "/recommendation.txt");
  EXPECT_EQ(recommendation.rfind("recommendation: --batch-size ", 0), 0u) << recommendation;

  // The written config is what `sluice run --config` reads: CLI11 TOML into RunOptions.
  CLI::App run;
  cli::RunOptions o;
  cli::AddRunOptions(run, o);
  run.set_config("--config");
  ASSERT_NO_THROW(run.parse("--config " + config, false)) << ReadFileText(config);
  EXPECT_TRUE(o.batch_size == 100u || o.batch_size == 500u) << ReadFileText(config);
  EXPECT_TRUE(o.concurrency == "1" || o.concurrency == "2") << ReadFileText(config);
  EXPECT_NE(recommendation.find("--batch-size " + std::to_string(o.batch_size) + " --concurrency " + o.concurrency),
            std::string::npos)
      << recommendation;
}

}  // namespace
}  // namespace sluice
