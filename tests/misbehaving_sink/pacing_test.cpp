// Pacing against sinks that misbehave (issue #13, items 7, 8, 10, 11): the real `sluice run
// --source file:` (fake flights from sluice-fake-flights) against sluice-misbehaving-sink
// processes, each scripted per request. Checked per case: the run completes, every record is
// stored (or dead-lettered only where the case says so), and what the sink saw (GET /_stats,
// /_requests) shows the pacing:
//  - Retry-After: 315360000 pauses the endpoint for the capped time only, and stderr names
//    the pause, its cause and the cap;
//  - 429 with Retry-After: 0 is paced by the exponential backoff (counted at the sink);
//  - a burst of 413s dead-letters nothing and the batch size recovers afterwards;
//  - an endpoint that never answers is named on stderr and gets almost no requests, while
//    the other one stores everything.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "app/common/http_get.h"
#include "tests/testing/process_env.h"
#include "tests/testing/subprocess.h"

namespace sluice::testing {
namespace {

constexpr int kRunTimeoutMs = 180000;

/// One data request as the sink logged it (GET /_requests).
struct SinkRequest {
  std::string mode;
  uint64_t records = 0;
  double at = 0;  ///< seconds since the sink started, on the sink's clock
};

struct SinkCounts {
  bool ok = false;
  uint64_t requests = 0, records_stored = 0, distinct_ids = 0, duplicates = 0;
};

/// bin/sluice-misbehaving-sink as a child process (stopped with SIGTERM on destruction).
class MisbehavingSink {
 public:
  static std::unique_ptr<MisbehavingSink> Start(const std::string& script, std::string* error) {
    ProcessOptions options;
    options.argv = {BinDir() + "/sluice-misbehaving-sink", "--script", script};
    const std::string prefix = "listening on ";
    std::string line;
    std::unique_ptr<Subprocess> child = StartServer(options, prefix, &line, error);
    if (!child) return nullptr;
    auto s = std::unique_ptr<MisbehavingSink>(new MisbehavingSink());
    s->child_ = std::move(child);
    s->base_ = "http://" + line.substr(prefix.size());
    return s;
  }

  std::string url() const { return base_ + "/ingest"; }

  SinkCounts Counts() const {
    SinkCounts c;
    StatusOr<tools::HttpResponse> r = tools::HttpGet(base_ + "/_stats");
    if (!r.ok() || r->status != 200) return c;
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    simdjson::padded_string body(r->body);
    if (parser.parse(body).get(e)) return c;
    auto field = [&](const char* name, uint64_t* out) { return !e[name].get_uint64().get(*out); };
    c.ok = field("requests", &c.requests) && field("records_stored", &c.records_stored) &&
           field("distinct_ids", &c.distinct_ids) && field("duplicates", &c.duplicates);
    return c;
  }

  /// Every data request in arrival order; empty on failure.
  std::vector<SinkRequest> Requests() const {
    std::vector<SinkRequest> out;
    StatusOr<tools::HttpResponse> r = tools::HttpGet(base_ + "/_requests");
    if (!r.ok() || r->status != 200) return out;
    simdjson::dom::parser parser;
    size_t begin = 0;
    while (begin < r->body.size()) {
      size_t end = r->body.find('\n', begin);
      if (end == std::string::npos) end = r->body.size();
      const std::string line = r->body.substr(begin, end - begin);
      begin = end + 1;
      if (line.empty()) continue;
      simdjson::padded_string padded(line);
      simdjson::dom::element e;
      if (parser.parse(padded).get(e)) return {};
      SinkRequest q;
      std::string_view mode;
      if (e["mode"].get_string().get(mode) || e["records"].get_uint64().get(q.records) ||
          e["at"].get_double().get(q.at)) {
        return {};
      }
      q.mode.assign(mode);
      out.push_back(std::move(q));
    }
    return out;
  }

 private:
  MisbehavingSink() = default;
  std::unique_ptr<Subprocess> child_;
  std::string base_;
};

int64_t ReportField(const std::string& report, const char* name) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::padded_string body(report);
  int64_t v = -1;
  if (parser.parse(body).get(e) || e[name].get_int64().get(v)) return -1;
  return v;
}

size_t CountOccurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

class Pacing : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("pacing"); }

  /// Writes `count` fake flights (NDJSON) and returns the path.
  std::string Flights(uint64_t count, uint64_t seed) {
    const std::string path = dir_ + "/flights-" + std::to_string(count) + ".ndjson";
    ProcessResult g = WriteFlightsFile(path, count, seed);
    EXPECT_EQ(g.exit_code, 0) << g.err;
    return path;
  }

  /// `sluice run --source file:FLIGHTS` into `urls` with a report and a file DLQ in dir_.
  ProcessResult Run(const std::string& flights, const std::vector<std::string>& urls,
                    const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--source", "file:" + flights, "--schema", SchemaPath(), "--table", TablePath(),
                                     "--auth", "none", "--report", report(), "--dlq", "file:" + dlq()};
    for (const auto& u : urls) args.insert(args.end(), {"--sink-url", u});
    args.insert(args.end(), extra.begin(), extra.end());
    return RunProcess(SluiceRunOptions(args, {}), kRunTimeoutMs);
  }

  std::string report() const { return dir_ + "/report.json"; }
  std::string dlq() const { return dir_ + "/dlq.ndjson"; }
  std::string ReportText() const { return ReadFileText(report()); }
  /// Dead letters written (the DLQ file may not exist when there were none).
  size_t DlqLines() const {
    const std::string text = ReadFileText(dlq());
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }

  std::string dir_;
};

// Item 7: a Retry-After of ten years pauses the endpoint for --retry-after-max-ms, not for
// 36 days (the old parser read 7 digits), and the pause is named on stderr without --debug.
TEST_F(Pacing, HugeRetryAfterIsCappedAndLogged) {
  std::string error;
  auto sink = MisbehavingSink::Start("status:503:315360000*1,ok", &error);
  ASSERT_NE(sink, nullptr) << error;
  const std::string flights = Flights(2000, 71);
  ProcessResult r = Run(flights, {sink->url()}, {"--batch-size", "500", "--retry-after-max-ms", "2000"});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(ReportText(), "delivered"), 2000);
  EXPECT_EQ(ReportField(ReportText(), "dead_lettered"), 0);
  const SinkCounts c = sink->Counts();
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.distinct_ids, 2000u);
  // The pause line: endpoint, cause, what was asked and the cap; once (one 503, one pause).
  const std::string line = "sink endpoint " + sink->url() + " answered HTTP 503 with Retry-After: 315360000";
  EXPECT_EQ(CountOccurrences(r.err, line), 1u) << r.err;
  EXPECT_NE(r.err.find("pausing it for 2.0 s (capped by --retry-after-max-ms 2000)"), std::string::npos) << r.err;
  std::printf("item 7: sent 2000, stored %llu, dead-lettered %lld, requests %llu\n",
              static_cast<unsigned long long>(c.distinct_ids),
              static_cast<long long>(ReportField(ReportText(), "dead_lettered")),
              static_cast<unsigned long long>(c.requests));
}

// Item 8: 429 with Retry-After: 0 must not make a retry storm. One batch, one request in
// flight, backoff 100 ms doubling to at most 1000 ms (full jitter), 20 answers 429 before the
// sink accepts. The bound is on the number of requests the sink counted in the failing phase,
// given how long that phase lasted on the sink's own clock: after the doubling steps, each
// retry waits U[0, 1000] ms (mean 500 ms), so the phase holds at most the ramp plus
// 2 * span / 500 ms plus a margin (the sum of 16 such waits falls below the bound's span
// about once in a million runs). A slower machine only lowers the request count, so the bound
// never fails for slowness; the old code, which sent a Retry-After job straight back, made its
// 20 requests in a fraction of the span that bound needs.
TEST_F(Pacing, RetryAfterZeroKeepsTheBackoff) {
  std::string error;
  auto sink = MisbehavingSink::Start("status:429:0*20,ok", &error);
  ASSERT_NE(sink, nullptr) << error;
  const std::string flights = Flights(2000, 72);
  ProcessResult r = Run(flights, {sink->url()},
                        {"--batch-size", "2000", "--concurrency", "1", "--backoff-initial-ms", "100",
                         "--backoff-max-ms", "1000"});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(ReportText(), "delivered"), 2000);
  const std::vector<SinkRequest> reqs = sink->Requests();
  ASSERT_FALSE(reqs.empty());
  size_t throttled = 0;
  double first = -1, accepted_at = -1;
  for (const SinkRequest& q : reqs) {
    if (q.mode == "status:429:0") {
      ++throttled;
      if (first < 0) first = q.at;
    } else if (q.mode == "ok" && accepted_at < 0) {
      accepted_at = q.at;
    }
  }
  ASSERT_EQ(throttled, 20u);
  ASSERT_GE(first, 0);
  ASSERT_GE(accepted_at, first);
  const double span_ms = (accepted_at - first) * 1000.0;
  const double ramp = std::ceil(std::log2(1000.0 / 100.0)) + 1;  // 100, 200, 400, 800 ms ceilings
  const double allowed = ramp + 2.0 * span_ms / 500.0 + 3;
  EXPECT_LE(static_cast<double>(throttled), allowed)
      << "20 answers 429 took only " << span_ms << " ms at the sink: Retry-After: 0 bypassed the backoff";
  const SinkCounts c = sink->Counts();
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.distinct_ids, 2000u);
  std::printf("item 8: sent 2000, stored %llu, requests %llu (429: %zu over %.0f ms, bound %.1f)\n",
              static_cast<unsigned long long>(c.distinct_ids), static_cast<unsigned long long>(c.requests), throttled,
              span_ms, allowed);
}

// Item 10: 40 transient 413s (then the sink accepts everything) dead-letter nothing, and the
// batch byte cap they lowered recovers: the run ends with full batches again. The in-flight
// window is small so batches keep being built after the 413s (with everything batched up front
// the cap would not matter).
TEST_F(Pacing, TransientTooLargeRejectsNothingAndTheBatchSizeRecovers) {
  std::string error;
  auto sink = MisbehavingSink::Start("status:413*40,ok", &error);
  ASSERT_NE(sink, nullptr) << error;
  constexpr uint64_t kRecords = 4000;
  const std::string flights = Flights(kRecords, 73);
  ProcessResult r = Run(flights, {sink->url()},
                        {"--batch-size", "100", "--chunk-records", "100", "--max-inflight-records", "400",
                         "--concurrency", "2"});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(ReportText(), "delivered"), static_cast<int64_t>(kRecords));
  EXPECT_EQ(ReportField(ReportText(), "dead_lettered"), 0);
  EXPECT_EQ(DlqLines(), 0u);
  EXPECT_EQ(r.err.find("too large"), std::string::npos) << r.err;
  const SinkCounts c = sink->Counts();
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.distinct_ids, kRecords);
  const std::vector<SinkRequest> reqs = sink->Requests();
  ASSERT_GE(reqs.size(), 20u);
  size_t full_at_end = 0;
  for (size_t i = reqs.size() - 20; i < reqs.size(); ++i) full_at_end += reqs[i].records == 100 ? 1 : 0;
  // Of the last 20 requests, nearly all carry a full batch (the last batch may be partial);
  // with the cap stuck at half a record every request carried one record.
  EXPECT_GE(full_at_end, 15u);
  // Far fewer requests than records: the run did not go on one record per request.
  EXPECT_LT(c.requests, kRecords / 4);
  std::printf("item 10: sent %llu, stored %llu, dead-lettered %zu, requests %llu, batches %lld\n",
              static_cast<unsigned long long>(kRecords), static_cast<unsigned long long>(c.distinct_ids), DlqLines(),
              static_cast<unsigned long long>(c.requests),
              static_cast<long long>(ReportField(ReportText(), "batches")));
}

// Item 11: of two endpoints, one accepts connections and never answers. It is named on stderr
// once it is found unhealthy, gets its first share of requests and then only probes, and the
// other endpoint stores every record.
TEST_F(Pacing, HangingEndpointIsNamedAndAvoided) {
  std::string error;
  auto good = MisbehavingSink::Start("ok", &error);
  ASSERT_NE(good, nullptr) << error;
  auto hanging = MisbehavingSink::Start("hang", &error);
  ASSERT_NE(hanging, nullptr) << error;
  constexpr uint64_t kRecords = 20000;
  constexpr int kConcurrency = 4;
  const std::string flights = Flights(kRecords, 74);
  ProcessResult r = Run(flights, {good->url(), hanging->url()},
                        {"--batch-size", "100", "--concurrency", std::to_string(kConcurrency),
                         "--request-timeout-ms", "2000"});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(ReportText(), "delivered"), static_cast<int64_t>(kRecords));
  EXPECT_EQ(ReportField(ReportText(), "dead_lettered"), 0);
  const SinkCounts g = good->Counts();
  const SinkCounts h = hanging->Counts();
  ASSERT_TRUE(g.ok);
  ASSERT_TRUE(h.ok);
  EXPECT_EQ(g.distinct_ids, kRecords);
  EXPECT_EQ(h.records_stored, 0u);
  EXPECT_NE(r.err.find("sink endpoint " + hanging->url() + " unhealthy after 3 timeouts, routing to the other 1"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("sink endpoint " + good->url() + " unhealthy"), std::string::npos) << r.err;
  // At most every slot stuck on it before three timeouts mark it unhealthy, then one probe at a
  // time at growing intervals (1 s, 2 s, 4 s... while the good endpoint finishes 200 batches).
  // Round-robin without health checks sends it about half of all requests (~100 here).
  EXPECT_LE(h.requests, static_cast<uint64_t>(kConcurrency + 8));
  std::printf("item 11: sent %llu, stored %llu (good endpoint), dead-lettered %lld, requests good %llu, hanging %llu\n",
              static_cast<unsigned long long>(kRecords), static_cast<unsigned long long>(g.distinct_ids),
              static_cast<long long>(ReportField(ReportText(), "dead_lettered")),
              static_cast<unsigned long long>(g.requests), static_cast<unsigned long long>(h.requests));
}

}  // namespace
}  // namespace sluice::testing
