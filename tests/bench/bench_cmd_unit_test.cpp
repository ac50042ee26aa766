// GeneratorSource (closed loop, open-loop schedule, NDJSON cycling), the sweep's recommendation,
// CSV and config output (parsed back with CLI11 as `sluice run --config` would).
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "app/bench/bench_runner.h"
#include "app/bench/timeline_chart.h"
#include "app/pipeline_setup/run_options.h"
#include "app/sweep/sweep_runner.h"
#include "engine/concurrency_timeline.h"
#include "stages/generator_source/generator_source.h"

namespace sluice {
namespace {

using stages::GeneratorSource;
using stages::GeneratorSourceConfig;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/bench_cmd_unit_" + std::to_string(getpid()) + "_" + name;
}

TEST(GeneratorSource, ClosedLoopFillsChunksWithIncreasingOffsetsUntilMaxRecords) {
  GeneratorSourceConfig c;
  c.distinct_records = 10;
  c.max_records = 25;
  auto source = GeneratorSource::Create(c);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  ASSERT_TRUE((*source)->Start(nullptr).ok());
  RecordChunk chunk;
  std::vector<int64_t> offsets;
  std::set<std::string> distinct;
  while (!(*source)->Exhausted()) {
    chunk.Clear();
    auto n = (*source)->Poll(chunk, 8, 10);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, chunk.records.size());
    for (size_t i = 0; i < chunk.records.size(); ++i) {
      offsets.push_back(chunk.records[i].position.offset);
      EXPECT_EQ(chunk.records[i].position.stream, 0u);
      distinct.insert(std::string(chunk.Payload(i)));
    }
  }
  ASSERT_EQ(offsets.size(), 25u);
  for (size_t i = 0; i < offsets.size(); ++i) EXPECT_EQ(offsets[i], static_cast<int64_t>(i));
  EXPECT_EQ(distinct.size(), 10u);  // the pool of 10 is cycled
  chunk.Clear();
  auto more = (*source)->Poll(chunk, 8, 1);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(*more, 0u);
}

TEST(GeneratorSource, OpenLoopNeverEmitsARecordBeforeItsScheduledTime) {
  GeneratorSourceConfig c;
  c.distinct_records = 100;
  c.records_per_s = 2000;
  c.duration_ms = 300;
  auto source = GeneratorSource::Create(c);
  ASSERT_TRUE(source.ok());
  ASSERT_TRUE((*source)->Start(nullptr).ok());
  RecordChunk chunk;
  uint64_t total = 0;
  while (!(*source)->Exhausted()) {
    chunk.Clear();
    auto n = (*source)->Poll(chunk, 1000, 50);
    ASSERT_TRUE(n.ok());
    const auto now = GeneratorSource::Clock::now();
    for (const InputRecord& r : chunk.records) {
      EXPECT_LE((*source)->ScheduledTime(r.position.offset), now) << "record " << r.position.offset << " came early";
    }
    total += *n;
  }
  // Every record scheduled inside the duration is emitted: ceil(0.3 s * 2000/s).
  EXPECT_EQ(total, 600u);
  EXPECT_EQ((*source)->ScheduledTime(2000) - (*source)->StartTime(), std::chrono::seconds(1));
}

TEST(GeneratorSource, CyclesTheLinesOfAnNdjsonFileSkippingBlankOnes) {
  const std::string path = TempPath("input.ndjson");
  {
    std::ofstream f(path);
    f << "{\"a\":1}\n\n{\"a\":2}\r\n   \n{\"a\":3}";
  }
  GeneratorSourceConfig c;
  c.ndjson_path = path;
  c.max_records = 7;
  auto source = GeneratorSource::Create(c);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ((*source)->pool_size(), 3u);
  ASSERT_TRUE((*source)->Start(nullptr).ok());
  RecordChunk chunk;
  auto n = (*source)->Poll(chunk, 100, 10);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 7u);
  EXPECT_EQ(chunk.Payload(0), "{\"a\":1}");
  EXPECT_EQ(chunk.Payload(1), "{\"a\":2}");
  EXPECT_EQ(chunk.Payload(2), "{\"a\":3}");
  EXPECT_EQ(chunk.Payload(3), "{\"a\":1}");
  EXPECT_EQ(chunk.Payload(6), "{\"a\":1}");
  std::remove(path.c_str());
}

TEST(GeneratorSource, MissingOrEmptyInputFailsAtCreate) {
  GeneratorSourceConfig c;
  c.ndjson_path = TempPath("does-not-exist.ndjson");
  EXPECT_EQ(GeneratorSource::Create(c).status().code(), StatusCode::kNotFound);
  const std::string empty = TempPath("empty.ndjson");
  {
    std::ofstream f(empty);
    f << "\n  \n";
  }
  c.ndjson_path = empty;
  EXPECT_EQ(GeneratorSource::Create(c).status().code(), StatusCode::kInvalidArgument);
  std::remove(empty.c_str());
  GeneratorSourceConfig bad;
  bad.records_per_s = -1;
  EXPECT_EQ(GeneratorSource::Create(bad).status().code(), StatusCode::kInvalidArgument);
}

bench::SweepPoint Point(uint32_t batch, int concurrency, double rps, double p99, uint64_t rejected = 0) {
  bench::SweepPoint p;
  p.batch_size = batch;
  p.concurrency = concurrency;
  p.payload = "raw";
  p.compress = "none";
  p.result.records = 1000;
  p.result.records_per_s = rps;
  p.result.latency.p99_ms = p99;
  p.result.rejected_records = rejected;
  return p;
}

TEST(Recommend, PicksTheSmallestBatchAndConcurrencyWithinFivePercentUnderTheP99Limit) {
  std::vector<bench::SweepPoint> points = {
      Point(100, 1, 5000, 20),   Point(100, 8, 96000, 30),   Point(500, 4, 97000, 25),
      Point(500, 8, 100000, 40), Point(1000, 2, 99000, 900), Point(1000, 8, 101000, 2500),
  };
  auto r = bench::Recommend(points, 1000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->point.batch_size, 100u);
  EXPECT_EQ(r->point.concurrency, 8);
  EXPECT_DOUBLE_EQ(r->best_records_per_s, 101000);
  EXPECT_FALSE(r->relaxed);
  // A tighter latency limit excludes the 30 ms point: 500 x 4 (25 ms) is next.
  r = bench::Recommend(points, 28);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->point.batch_size, 500u);
  EXPECT_EQ(r->point.concurrency, 4);
}

TEST(Recommend, FallsBackToTheFastestPointUnderTheLimitAndNeverPicksPointsWithErrors) {
  std::vector<bench::SweepPoint> points = {Point(100, 1, 5000, 20), Point(100, 2, 9000, 30), Point(500, 8, 100000, 400),
                                           Point(500, 16, 200000, 10, /*rejected=*/3)};
  auto r = bench::Recommend(points, 50);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->relaxed);
  EXPECT_EQ(r->point.concurrency, 2);
  EXPECT_DOUBLE_EQ(r->best_records_per_s, 100000);  // the erroring point does not count
  EXPECT_FALSE(bench::Recommend(points, 5).has_value());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool HaveGnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

TEST(DrawSweepCharts, FramesTheRecommendedCellAndRingsTheRecommendedPoint) {
  std::vector<bench::SweepPoint> points = {Point(100, 1, 5000, 20), Point(100, 8, 96000, 30), Point(500, 1, 20000, 25),
                                           Point(500, 8, 100000, 40)};
  const auto r = bench::Recommend(points, 1000);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->point.batch_size, 100u);
  ASSERT_EQ(r->point.concurrency, 8);
  const std::string dir = TempPath("sweep_charts");
  ASSERT_EQ(std::system(("mkdir -p '" + dir + "'").c_str()), 0);
  std::string note;
  const auto made = bench::DrawSweepCharts(points, dir, "test", 1000, &*r, note);
  const std::string gp = ReadFile(dir + "/sweep.gp");
  // Concurrency 8 is column 1, batch 100 row 0 of the heatmap.
  EXPECT_NE(gp.find("set object 1 rect from 0.53,-0.47 to 1.47,0.47 front"), std::string::npos) << gp;
  EXPECT_NE(gp.find("'p99_recommended.dat' using 1:2 with points"), std::string::npos) << gp;
  EXPECT_NE(gp.find("title 'recommended (100 x 8)'"), std::string::npos);
  EXPECT_EQ(ReadFile(dir + "/p99_recommended.dat"), "96000.0 30.000\n");
  if (HaveGnuplot()) {
    EXPECT_EQ(made.size(), 4u) << note;  // heatmap and latency chart, PNG and SVG: gnuplot took the marks
  }
  // Without a recommendation: no marks.
  const std::string plain_dir = dir + "_plain";
  ASSERT_EQ(std::system(("mkdir -p '" + plain_dir + "'").c_str()), 0);
  const auto plain = bench::DrawSweepCharts(points, plain_dir, "test", 1000, nullptr, note);
  EXPECT_EQ(ReadFile(plain_dir + "/sweep.gp").find("recommended"), std::string::npos);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(plain_dir);
}

TEST(ConcurrencyTimeline, SamplesAtTheIntervalAndThinsToStayBounded) {
  ConcurrencyTimeline t(0.1, 8);
  EXPECT_TRUE(t.MaybeAdd(0.0, 1, 0));
  EXPECT_FALSE(t.MaybeAdd(0.05, 2, 10));  // within the interval
  for (int i = 1; i <= 7; ++i) EXPECT_TRUE(t.MaybeAdd(0.1 * i, i, static_cast<uint64_t>(100 * i)));
  // Reaching 8 points halves them (every other one, the last kept) and doubles the interval.
  EXPECT_LT(t.Points().size(), 8u);
  EXPECT_DOUBLE_EQ(t.IntervalSeconds(), 0.2);
  EXPECT_DOUBLE_EQ(t.Points().front().t_s, 0.0);
  EXPECT_EQ(t.Points().back().limit, 7);
  for (int i = 8; i < 1000; ++i) t.MaybeAdd(0.1 * i, i, static_cast<uint64_t>(100 * i));
  EXPECT_LT(t.Points().size(), 8u);
  EXPECT_GT(t.Points().back().t_s, 90.0);  // still spans the whole run
  t.Add(200.0, 3, 0);
  EXPECT_EQ(t.Points().back().limit, 3);
}

TEST(ConcurrencyTimeline, TheLastStateWithinAMillisecondReplacesTheLastSample) {
  ConcurrencyTimeline t;
  ASSERT_TRUE(t.MaybeAdd(0.0, 1, 0));
  ASSERT_TRUE(t.MaybeAdd(1.5390, 8, 1000));
  t.Add(1.5394, 9, 1200);  // the run's end, 0.4 ms after the last sample
  ASSERT_EQ(t.Points().size(), 2u);
  EXPECT_EQ(t.Points().back().limit, 9);
  EXPECT_EQ(LimitSeriesJson(t.Points()), "[[0.000, 1], [1.539, 9]]") << "no two points at one printed time";
  t.Add(1.5410, 10, 1300);  // 1.6 ms later: a point of its own
  EXPECT_EQ(t.Points().size(), 3u);
}

TEST(ConcurrencyTimeline, SeriesJsonAndChartDataCarryLimitAndRate) {
  ConcurrencyTimeline t;
  t.Add(0.0, 1, 0);
  t.Add(0.5, 4, 1000);
  t.Add(1.0, 16, 5000);
  EXPECT_EQ(LimitSeriesJson(t.Points()), "[[0.000, 1], [0.500, 4], [1.000, 16]]");
  EXPECT_EQ(ThroughputSeriesJson(t.Points()), "[[0.500, 2000.0], [1.000, 8000.0]]");
  EXPECT_EQ(bench::TimelineData(t.Points()), "# t_s limit records_per_s\n0.500 4 2000.0\n1.000 16 8000.0\n");
}

TEST(SweepCsv, HasTheDocumentedColumns) {
  const std::string csv = bench::SweepCsv({Point(100, 4, 1234.5, 21.5)});
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "batch_size,concurrency,payload,compress,records_per_s,mb_per_s,requests_per_s,p50_ms,p90_ms,p99_ms,"
            "p999_ms,max_ms,errors,retries");
  EXPECT_NE(csv.find("\n100,4,raw,none,1234.5,"), std::string::npos);
}

TEST(RecommendedConfig, ParsesBackIntoRunOptionsWithCli11) {
  bench::Recommendation r;
  r.point = Point(1000, 8, 50000, 12);
  r.point.payload = "mapped";
  r.point.compress = "gzip";
  r.explanation = "test";
  const std::string path = TempPath("recommended.toml");
  {
    std::ofstream f(path);
    f << bench::RecommendedConfig(r, true, true);
  }
  CLI::App app;
  cli::RunOptions o;
  cli::AddRunOptions(app, o);
  app.set_config("--config");
  ASSERT_NO_THROW(app.parse("--config " + path, false));
  EXPECT_EQ(o.batch_size, 1000u);
  EXPECT_EQ(o.concurrency, "8");
  EXPECT_EQ(o.payload, "mapped");
  EXPECT_EQ(o.compress, "gzip");
  std::remove(path.c_str());
}

TEST(ParseSeconds, AcceptsSecondsMillisecondsAndMinutes) {
  double s = 0;
  EXPECT_TRUE(bench::ParseSeconds("10", s));
  EXPECT_DOUBLE_EQ(s, 10);
  EXPECT_TRUE(bench::ParseSeconds("500ms", s));
  EXPECT_DOUBLE_EQ(s, 0.5);
  EXPECT_TRUE(bench::ParseSeconds("2m", s));
  EXPECT_DOUBLE_EQ(s, 120);
  EXPECT_FALSE(bench::ParseSeconds("fast", s));
  EXPECT_FALSE(bench::ParseSeconds("3h", s));
}

}  // namespace
}  // namespace sluice
