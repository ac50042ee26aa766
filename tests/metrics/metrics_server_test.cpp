// PrometheusWriter and RenderPipelineMetrics output, and MetricsServer answering real HTTP
// requests (libcurl over loopback).
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "app/metrics/metrics_server.h"
#include "app/metrics/pipeline_metrics.h"
#include "app/metrics/prometheus_writer.h"

namespace sluice::metrics {
namespace {

struct Fetched {
  long status = 0;
  std::string content_type;
  std::string body;
  bool ok = false;
  std::string error;
};

size_t Append(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

Fetched Fetch(const std::string& url, bool post = false) {
  Fetched f;
  CURL* h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &f.body);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (post) curl_easy_setopt(h, CURLOPT_POSTFIELDS, "x=1");
  const CURLcode rc = curl_easy_perform(h);
  f.ok = rc == CURLE_OK;
  f.error = curl_easy_strerror(rc);
  if (f.ok) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f.status);
    char* ct = nullptr;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    if (ct != nullptr) f.content_type = ct;
  }
  curl_easy_cleanup(h);
  return f;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool HasLine(const std::string& text, const std::string& line) {
  for (const auto& l : Lines(text)) {
    if (l == line) return true;
  }
  return false;
}

// Every line is a HELP/TYPE comment or `name{labels} value` as the text format 0.0.4 defines.
void ExpectValidExposition(const std::string& text) {
  static const std::regex kSample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$)");
  static const std::regex kComment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  for (const auto& l : Lines(text)) {
    EXPECT_TRUE(std::regex_match(l, kSample) || std::regex_match(l, kComment)) << "bad line: " << l;
  }
}

TEST(PrometheusWriter, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(PrometheusWriter::EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(PrometheusWriter::EscapeHelp("line1\nback\\slash \"quotes\" stay"),
            "line1\\nback\\\\slash \"quotes\" stay");
  PrometheusWriter w;
  w.Family("m", MetricType::kGauge, "two\nlines");
  w.Sample("m", {{"topic", "we\"ird\\"}, {"partition", "3"}}, 7);
  EXPECT_EQ(w.Text(), "# HELP m two\\nlines\n# TYPE m gauge\nm{topic=\"we\\\"ird\\\\\",partition=\"3\"} 7\n");
  ExpectValidExposition(w.Text());
}

TEST(PrometheusWriter, FormatsValues) {
  EXPECT_EQ(PrometheusWriter::FormatValue(0), "0");
  EXPECT_EQ(PrometheusWriter::FormatValue(18446744073.0), "18446744073");
  EXPECT_EQ(PrometheusWriter::FormatValue(0.25), "0.25");
  EXPECT_EQ(PrometheusWriter::FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(PrometheusWriter::FormatValue(0.0 / 0.0), "NaN");
}

TEST(PrometheusWriter, WritesHistogramWithInfBucketSumAndCount) {
  PrometheusWriter w;
  HistogramSnapshot h;
  h.buckets = {{0.1, 2}, {1, 5}};
  h.count = 6;
  h.sum = 3.5;
  w.Histogram("lat_seconds", "Latency.", h);
  const std::string t = w.Take();
  EXPECT_TRUE(HasLine(t, "# TYPE lat_seconds histogram"));
  EXPECT_TRUE(HasLine(t, "lat_seconds_bucket{le=\"0.1\"} 2"));
  EXPECT_TRUE(HasLine(t, "lat_seconds_bucket{le=\"1\"} 5"));
  EXPECT_TRUE(HasLine(t, "lat_seconds_bucket{le=\"+Inf\"} 6"));
  EXPECT_TRUE(HasLine(t, "lat_seconds_sum 3.5"));
  EXPECT_TRUE(HasLine(t, "lat_seconds_count 6"));
  ExpectValidExposition(t);
}

TEST(RenderPipelineMetrics, ExportsEveryFamilyWithValues) {
  PipelineCounters c;
  c.consumed = 1000;
  c.consumed_bytes = 123456;
  c.delivered = 990;
  c.rejected = 10;
  c.dead_lettered = 4;
  c.batches = 5;
  SenderStats s;
  s.requests = 7;
  s.retries_throttled = 1;
  s.retries_server = 2;
  s.retries_network = 3;
  s.auth_refreshes = 1;
  s.splits = 2;
  s.in_flight = 3;
  stages::LatencyHistogram lat;
  lat.Record(2'000);    // 2 ms
  lat.Record(40'000);   // 40 ms
  lat.Record(700'000);  // 700 ms
  std::vector<PartitionLagSample> lag = {{"flights", 0, 42}, {"flights", 1, 0}, {"flights", 2, -1}};
  const std::string t = RenderPipelineMetrics(c, 250, s, &lat, lag, 12);
  ExpectValidExposition(t);
  for (const char* line : {"sluice_records_consumed_total 1000",
                           "sluice_records_delivered_total 990",
                           "sluice_records_rejected_total 10",
                           "sluice_records_dead_lettered_total 4",
                           "sluice_bytes_consumed_total 123456",
                           "sluice_batches_total 5",
                           "sluice_requests_total 7",
                           "sluice_retries_total{class=\"throttled\"} 1",
                           "sluice_retries_total{class=\"server\"} 2",
                           "sluice_retries_total{class=\"network\"} 3",
                           "sluice_auth_refreshes_total 1",
                           "sluice_batch_splits_total 2",
                           "sluice_in_flight_records 250",
                           "sluice_in_flight_requests 3",
                           "sluice_concurrency_limit 12",
                           "# TYPE sluice_request_duration_seconds histogram",
                           "sluice_request_duration_seconds_bucket{le=\"0.001\"} 0",
                           "sluice_request_duration_seconds_bucket{le=\"0.0025\"} 1",
                           "sluice_request_duration_seconds_bucket{le=\"0.05\"} 2",
                           "sluice_request_duration_seconds_bucket{le=\"0.5\"} 2",
                           "sluice_request_duration_seconds_bucket{le=\"1\"} 3",
                           "sluice_request_duration_seconds_bucket{le=\"+Inf\"} 3",
                           "sluice_request_duration_seconds_sum 0.742",
                           "sluice_request_duration_seconds_count 3",
                           "# TYPE sluice_records_consumed_total counter",
                           "# TYPE sluice_in_flight_records gauge",
                           "# TYPE sluice_consumer_lag gauge",
                           "sluice_consumer_lag{topic=\"flights\",partition=\"0\"} 42",
                           "sluice_consumer_lag{topic=\"flights\",partition=\"1\"} 0"}) {
    EXPECT_TRUE(HasLine(t, line)) << "missing: " << line << "\n" << t;
  }
  EXPECT_EQ(t.find("sluice_consumer_lag{topic=\"flights\",partition=\"2\"}"), std::string::npos)
      << "unknown lag must not be exported";
  // The assignment includes the partition whose lag is not known yet.
  for (const char* p : {"0", "1", "2"}) {
    EXPECT_TRUE(HasLine(t, std::string("sluice_partition_assigned{topic=\"flights\",partition=\"") + p + "\"} 1")) << t;
  }
  // Each family's TYPE appears once.
  size_t n = 0;
  for (size_t p = t.find("# TYPE sluice_retries_total "); p != std::string::npos;
       p = t.find("# TYPE sluice_retries_total ", p + 1)) {
    ++n;
  }
  EXPECT_EQ(n, 1u);
}

TEST(RenderPipelineMetrics, LeavesOutOptionalFamilies) {
  PipelineCounters c;
  const std::string t = RenderPipelineMetrics(c, 0, SenderStats{}, nullptr, {});
  ExpectValidExposition(t);
  EXPECT_EQ(t.find("sluice_request_duration_seconds"), std::string::npos);
  EXPECT_EQ(t.find("sluice_consumer_lag"), std::string::npos);
  EXPECT_EQ(t.find("sluice_partition_assigned"), std::string::npos);
  EXPECT_EQ(t.find("sluice_concurrency_limit"), std::string::npos);
  EXPECT_TRUE(HasLine(t, "sluice_records_consumed_total 0"));
}

TEST(MetricsServer, ServesMetricsOverHttp) {
  PipelineCounters c;
  SenderStats s;
  std::atomic<int> renders{0};
  auto server = MetricsServer::Start("127.0.0.1:0", [&] {
    renders.fetch_add(1);
    return RenderPipelineMetrics(c, 5, s, nullptr, {}, 4);
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_NE((*server)->port(), 0);
  const std::string base = "http://127.0.0.1:" + std::to_string((*server)->port());

  Fetched f = Fetch(base + "/metrics");
  ASSERT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.status, 200);
  EXPECT_EQ(f.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << f.content_type;
  ExpectValidExposition(f.body);
  EXPECT_TRUE(HasLine(f.body, "sluice_records_consumed_total 0"));
  EXPECT_TRUE(HasLine(f.body, "sluice_concurrency_limit 4"));

  // The callback runs per scrape: a changed counter shows up on the next GET.
  c.consumed = 77;
  f = Fetch(base + "/metrics");
  ASSERT_TRUE(f.ok) << f.error;
  EXPECT_TRUE(HasLine(f.body, "sluice_records_consumed_total 77"));
  EXPECT_EQ(renders.load(), 2);
  EXPECT_EQ((*server)->Scrapes(), 2u);

  f = Fetch(base + "/other");
  ASSERT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.status, 404);
  f = Fetch(base + "/metrics", /*post=*/true);
  ASSERT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.status, 405);
  EXPECT_EQ(renders.load(), 2);
}

TEST(MetricsServer, StopsListeningWhenDestroyed) {
  auto server = MetricsServer::Start("localhost:0", [] { return std::string("x 1\n"); });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string url = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/metrics";
  ASSERT_TRUE(Fetch(url).ok);
  server->reset();
  EXPECT_FALSE(Fetch(url).ok);
}

TEST(MetricsServer, RejectsBadAddressesAndBusyPorts) {
  auto render = [] { return std::string(); };
  EXPECT_EQ(MetricsServer::Start("9464", render).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricsServer::Start("127.0.0.1:99999", render).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricsServer::Start("not-an-ip:9464", render).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricsServer::Start("127.0.0.1:0", nullptr).status().code(), StatusCode::kInvalidArgument);
  auto first = MetricsServer::Start("127.0.0.1:0", render);
  ASSERT_TRUE(first.ok());
  auto second = MetricsServer::Start("127.0.0.1:" + std::to_string((*first)->port()), render);
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace sluice::metrics
