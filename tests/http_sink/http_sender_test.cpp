// HttpSender against an in-process HTTP server over real loopback sockets: exact bytes,
// auth, retries, Retry-After, splitting, isolation, fatal stops, reconnects, concurrency.
#include <gtest/gtest.h>

#include <cstdlib>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "stages/http_sink/http_sender.h"
#include "stages/sink_formats/make_sink_format.h"
#include "tests/http_sink/test_http_server.h"

namespace sluice::stages {
namespace {

using sluice::testing::RecordedRequest;
using sluice::testing::ScriptedResponse;
using sluice::testing::TestHttpServer;
using namespace std::chrono_literals;

// Collects reports and fatal errors; lets the test wait for a number of records.
class RecordingListener : public DeliveryListener {
 public:
  void OnDelivery(DeliveryReport report) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& p : report.delivered) delivered_.push_back(p);
    for (auto& r : report.rejected) rejected_.push_back(r);
    ++reports_;
    cv_.notify_all();
  }
  void OnFatal(Status status) override {
    std::lock_guard<std::mutex> lock(mu_);
    fatals_.push_back(status);
    cv_.notify_all();
  }
  // Waits (bounded only by a generous safety limit) until `n` records are accounted for.
  bool WaitForRecords(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 30s, [&] { return delivered_.size() + rejected_.size() >= n; });
  }
  bool WaitForFatal() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 30s, [&] { return !fatals_.empty(); });
  }
  std::set<int64_t> DeliveredOffsets() {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<int64_t> out;
    for (auto& p : delivered_) out.insert(p.offset);
    return out;
  }
  std::vector<RejectedRecord> Rejected() {
    std::lock_guard<std::mutex> lock(mu_);
    return rejected_;
  }
  std::vector<Status> Fatals() {
    std::lock_guard<std::mutex> lock(mu_);
    return fatals_;
  }
  size_t Delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SourcePosition> delivered_;
  std::vector<RejectedRecord> rejected_;
  std::vector<Status> fatals_;
  int reports_ = 0;
};

std::shared_ptr<const SinkFormat> Format(const std::string& name) {
  SinkFormatConfig c;
  c.name = name;
  auto f = MakeSinkFormat(c);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return std::shared_ptr<const SinkFormat>(std::move(f).value());
}

std::unique_ptr<Batch> MakeBatch(const SinkFormat& f, const std::vector<std::string>& values,
                                 int64_t first_offset = 0) {
  auto b = std::make_unique<Batch>();
  f.Open(b->payload);
  for (size_t i = 0; i < values.size(); ++i) {
    BatchRecord r;
    r.begin = f.Append(b->payload, values[i], i == 0);
    r.length = static_cast<uint32_t>(values[i].size());
    r.position.offset = first_offset + static_cast<int64_t>(i);
    b->records.push_back(r);
  }
  f.Close(b->payload);
  return b;
}

std::vector<std::string> Values(int n, int first = 0) {
  std::vector<std::string> v;
  for (int i = first; i < first + n; ++i) v.push_back("{\"_id\":" + std::to_string(i) + ",\"v\":\"x\"}");
  return v;
}

std::unique_ptr<TestHttpServer> StartServer(uint16_t port = 0) {
  auto s = TestHttpServer::Start(port);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

// ctest runs this suite twice: as is (http:// data requests go through PlainHttpClient) and
// with SLUICE_TEST_HTTP_CLIENT=curl (libcurl for every request).
HttpTransport TransportUnderTest() {
  const char* v = std::getenv("SLUICE_TEST_HTTP_CLIENT");
  return v != nullptr && std::string(v) == "curl" ? HttpTransport::kCurl : HttpTransport::kAuto;
}

HttpSinkConfig BaseConfig(const TestHttpServer& server) {
  HttpSinkConfig c;
  c.transport = TransportUnderTest();
  c.urls = {server.Url("/ingest")};
  c.backoff_initial_ms = 5;
  c.backoff_max_ms = 50;
  c.request_timeout_ms = 10000;
  return c;
}

std::unique_ptr<HttpSender> MakeSender(const HttpSinkConfig& config, std::shared_ptr<const SinkFormat> f) {
  auto s = HttpSender::Create(config, std::move(f));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

TEST(HttpSender, SendsExactBodiesForEachFormat) {
  struct Case {
    const char* format;
    const char* body;
    const char* content_type;
  };
  const Case cases[] = {
      {"featurebase", R"({"records":[{"value":{"a":1}},{"value":[2,3]}]})", "application/json"},
      {"ndjson", "{\"a\":1}\n[2,3]\n", "application/x-ndjson"},
      {"json-array", R"([{"a":1},[2,3]])", "application/json"},
  };
  for (const Case& c : cases) {
    auto server = StartServer();
    auto format = Format(c.format);
    RecordingListener listener;
    auto sender = MakeSender(BaseConfig(*server), format);
    ASSERT_TRUE(sender->Start(&listener).ok());
    sender->Submit(MakeBatch(*format, {"{\"a\":1}", "[2,3]"}));
    ASSERT_TRUE(listener.WaitForRecords(2));
    sender->Stop(false);
    auto reqs = server->Requests("/ingest");
    ASSERT_EQ(reqs.size(), 1u) << c.format;
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].body, c.body) << c.format;
    EXPECT_EQ(reqs[0].Header("content-type"), c.content_type);
    EXPECT_FALSE(reqs[0].HasHeader("expect"));
    EXPECT_EQ(listener.DeliveredOffsets(), (std::set<int64_t>{0, 1}));
    EXPECT_EQ(sender->Stats().requests, 1u);
    EXPECT_EQ(sender->Stats().bytes_sent, std::string(c.body).size());
  }
}

TEST(HttpSender, SendsGzipBodyAndConfiguredHeaders) {
  auto server = StartServer();
  auto format = Format("ndjson");
  HttpSinkConfig config = BaseConfig(*server);
  config.gzip = true;
  config.auth = AuthMode::kApiKey;
  config.api_key = "key-abc";
  config.extra_headers = {"X-Team: ingest"};
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  sender->Submit(MakeBatch(*format, Values(50)));
  ASSERT_TRUE(listener.WaitForRecords(50));
  sender->Stop(false);
  auto reqs = server->Requests("/ingest");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].Header("content-encoding"), "gzip");
  EXPECT_EQ(reqs[0].Header("x-api-key"), "key-abc");
  EXPECT_EQ(reqs[0].Header("x-team"), "ingest");
  std::string plain(1 << 16, '\0');
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(reqs[0].body.data());
  zs.avail_in = static_cast<uInt>(reqs[0].body.size());
  zs.next_out = reinterpret_cast<Bytef*>(plain.data());
  zs.avail_out = static_cast<uInt>(plain.size());
  ASSERT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  plain.resize(zs.total_out);
  inflateEnd(&zs);
  EXPECT_EQ(plain, MakeBatch(*format, Values(50))->payload);
}

constexpr const char* kAuthOk = R"({"AuthenticationResult":{"IdToken":"tok-1","ExpiresIn":3600}})";

TEST(HttpSender, FetchesTokenOnceAndSendsItAsBearer) {
  auto server = StartServer();
  server->Script("/auth", {ScriptedResponse{200, kAuthOk, {}, 0, false}});
  auto format = Format("featurebase");
  HttpSinkConfig config = BaseConfig(*server);
  config.auth = AuthMode::kFeatureBaseToken;
  config.auth_url = server->Url("/auth");
  config.username = "ann";
  config.password = "pa\"ss";
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  for (int i = 0; i < 3; ++i) sender->Submit(MakeBatch(*format, Values(2, i * 2), i * 2));
  ASSERT_TRUE(listener.WaitForRecords(6));
  sender->Stop(false);
  auto auth = server->Requests("/auth");
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].body, R"({"USERNAME":"ann","PASSWORD":"pa\"ss"})");
  auto ingest = server->Requests("/ingest");
  ASSERT_EQ(ingest.size(), 3u);
  for (const auto& r : ingest) EXPECT_EQ(r.Header("authorization"), "Bearer tok-1");
  EXPECT_EQ(sender->Stats().auth_refreshes, 1u);
}

TEST(HttpSender, ConcurrentUnauthorizedRequestsShareOneRefresh) {
  auto server = StartServer();
  std::atomic<int> tokens{0};
  server->SetHandler([&](const RecordedRequest& r) {
    if (r.path == "/auth") {
      const int n = ++tokens;
      return ScriptedResponse{200, R"({"AuthenticationResult":{"IdToken":"tok-)" + std::to_string(n) +
                                       R"(","ExpiresIn":3600}})", {}, 0, false};
    }
    if (r.Header("authorization") != "Bearer tok-2") {
      return ScriptedResponse{401, R"({"message":"token expired"})", {}, 100, false};
    }
    return ScriptedResponse{200, "{}", {}, 0, false};
  });
  auto format = Format("featurebase");
  HttpSinkConfig config = BaseConfig(*server);
  config.concurrency = 8;
  config.auth = AuthMode::kFeatureBaseToken;
  config.auth_url = server->Url("/auth");
  config.username = "ann";
  config.password = "secret";
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  for (int i = 0; i < 8; ++i) sender->Submit(MakeBatch(*format, Values(1, i), i));
  ASSERT_TRUE(listener.WaitForRecords(8));
  sender->Stop(false);
  EXPECT_EQ(listener.Delivered(), 8u);
  EXPECT_EQ(server->Requests("/auth").size(), 2u);
  EXPECT_EQ(sender->Stats().auth_refreshes, 2u);
  EXPECT_TRUE(listener.Fatals().empty());
}

TEST(HttpSender, RetriesServerErrorThenDelivers) {
  auto server = StartServer();
  server->Script("/ingest", {ScriptedResponse{500, "boom", {}, 0, false}, ScriptedResponse{503, "", {}, 0, false}});
  auto format = Format("ndjson");
  RecordingListener listener;
  auto sender = MakeSender(BaseConfig(*server), format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  sender->Submit(MakeBatch(*format, Values(3)));
  ASSERT_TRUE(listener.WaitForRecords(3));
  sender->Stop(false);
  EXPECT_EQ(listener.DeliveredOffsets(), (std::set<int64_t>{0, 1, 2}));
  const SenderStats s = sender->Stats();
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.retries, 2u);
  EXPECT_EQ(s.retries_server, 2u);
  auto reqs = server->Requests("/ingest");
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].body, reqs[2].body);
}

TEST(HttpSender, GivesUpAfterMaxRetries) {
  auto server = StartServer();
  server->SetDefault(ScriptedResponse{500, "always down", {}, 0, false});
  auto format = Format("ndjson");
  HttpSinkConfig config = BaseConfig(*server);
  config.max_retries = 2;
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  sender->Submit(MakeBatch(*format, Values(1)));
  ASSERT_TRUE(listener.WaitForFatal());
  sender->Stop(false);
  auto fatals = listener.Fatals();
  ASSERT_EQ(fatals.size(), 1u);
  EXPECT_EQ(fatals[0].code(), StatusCode::kUnavailable);
  EXPECT_NE(fatals[0].message().find("HTTP 500"), std::string::npos);
  EXPECT_NE(fatals[0].message().find("always down"), std::string::npos);
  EXPECT_EQ(server->Requests("/ingest").size(), 3u);
  EXPECT_EQ(listener.Delivered(), 0u);
}

TEST(HttpSender, HonoursRetryAfterBeforeNextRequest) {
  auto server = StartServer();
  server->Script("/ingest", {ScriptedResponse{429, "slow down", {{"Retry-After", "1"}}, 0, false}});
  auto format = Format("ndjson");
  RecordingListener listener;
  auto sender = MakeSender(BaseConfig(*server), format);  // backoff <= 50 ms: only Retry-After waits 1 s
  ASSERT_TRUE(sender->Start(&listener).ok());
  sender->Submit(MakeBatch(*format, Values(1)));
  ASSERT_TRUE(listener.WaitForRecords(1));
  sender->Submit(MakeBatch(*format, Values(1, 1), 1));
  ASSERT_TRUE(listener.WaitForRecords(2));
  sender->Stop(false);
  auto reqs = server->Requests("/ingest");
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_GE(reqs[1].arrived - reqs[0].arrived, 1s);
  EXPECT_EQ(sender->Stats().retries_throttled, 1u);
}

TEST(HttpSender, SplitsTooLargeBatchesUntilDelivered) {
  auto server = StartServer();
  auto format = Format("featurebase");
  const std::string huge = "\"" + std::string(400, 'h') + "\"";
  server->SetHandler([](const RecordedRequest& r) {
    if (r.body.size() > 120) return ScriptedResponse{413, "Payload Too Large", {}, 0, false};
    return ScriptedResponse{200, "{}", {}, 0, false};
  });
  std::vector<std::string> values = Values(7);  // ~18 bytes each: at most 2 per request fit
  values.push_back(huge);
  RecordingListener listener;
  auto sender = MakeSender(BaseConfig(*server), format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  auto batch = MakeBatch(*format, values);
  const size_t original = batch->payload.size();
  sender->Submit(std::move(batch));
  ASSERT_TRUE(listener.WaitForRecords(8));
  sender->Stop(false);
  EXPECT_EQ(listener.DeliveredOffsets(), (std::set<int64_t>{0, 1, 2, 3, 4, 5, 6}));
  auto rejected = listener.Rejected();
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].position.offset, 7);
  EXPECT_EQ(rejected[0].bytes, huge);
  EXPECT_EQ(RejectStageName(rejected[0].stage), "sink");
  EXPECT_NE(rejected[0].reason.find("413"), std::string::npos);
  EXPECT_GE(sender->Stats().splits, 2u);
  EXPECT_LT(sender->MaxBatchBytesHint(), original);
  for (const auto& r : server->Requests("/ingest")) {
    if (r.body.size() <= 120) {
      EXPECT_EQ(r.body.rfind("{\"records\":[", 0), 0u);
    }
  }
}

TEST(HttpSender, RejectsRecordsNamedInPerRecordErrors) {
  auto server = StartServer();
  server->Script("/ingest", {ScriptedResponse{
                                200,
                                R"({"success":true,"records_received":3,"records_stored":2,)"
                                R"("errors":[{"index":1,"id":"1","message":"_id must be an integer"}]})",
                                {}, 0, false}});
  auto format = Format("featurebase");
  RecordingListener listener;
  auto sender = MakeSender(BaseConfig(*server), format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  sender->Submit(MakeBatch(*format, {"{\"_id\":0}", "{\"_id\":\"one\"}", "{\"_id\":2}"}, 10));
  ASSERT_TRUE(listener.WaitForRecords(3));
  sender->Stop(false);
  EXPECT_EQ(listener.DeliveredOffsets(), (std::set<int64_t>{10, 12}));
  auto rejected = listener.Rejected();
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].position.offset, 11);
  EXPECT_EQ(rejected[0].bytes, "{\"_id\":\"one\"}");
  EXPECT_EQ(rejected[0].reason, "_id must be an integer");
  EXPECT_EQ(RejectStageName(rejected[0].stage), "sink");
}

TEST(HttpSender, IsolatesBadRecordsOfRejectedRequestBySplitting) {
  auto server = StartServer();
  server->SetHandler([](const RecordedRequest& r) {
    if (r.body.find("\"bad\"") != std::string::npos) {
      return ScriptedResponse{400, R"({"code":"InvalidRequest","message":"cannot parse bad"})", {}, 0, false};
    }
    return ScriptedResponse{200, "{}", {}, 0, false};
  });
  auto format = Format("json-array");
  std::vector<std::string> values = Values(8);
  values[2] = "\"bad\"";
  values[5] = "\"bad\"";
  RecordingListener listener;
  auto sender = MakeSender(BaseConfig(*server), format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  sender->Submit(MakeBatch(*format, values));
  ASSERT_TRUE(listener.WaitForRecords(8));
  sender->Stop(false);
  EXPECT_EQ(listener.DeliveredOffsets(), (std::set<int64_t>{0, 1, 3, 4, 6, 7}));
  auto rejected = listener.Rejected();
  ASSERT_EQ(rejected.size(), 2u);
  std::set<int64_t> bad;
  for (const auto& r : rejected) {
    bad.insert(r.position.offset);
    EXPECT_EQ(r.bytes, "\"bad\"");
    EXPECT_NE(r.reason.find("cannot parse bad"), std::string::npos);
  }
  EXPECT_EQ(bad, (std::set<int64_t>{2, 5}));
  EXPECT_GE(sender->Stats().splits, 3u);
}

TEST(HttpSender, StopsOnForbiddenWithoutDelivering) {
  auto server = StartServer();
  server->Script("/ingest", {ScriptedResponse{403, "key key-secret-123 may not write here", {}, 0, false}});
  auto format = Format("featurebase");
  HttpSinkConfig config = BaseConfig(*server);
  config.auth = AuthMode::kApiKey;
  config.api_key = "key-secret-123";
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  sender->Submit(MakeBatch(*format, Values(2)));
  ASSERT_TRUE(listener.WaitForFatal());
  sender->Submit(MakeBatch(*format, Values(2, 2), 2));  // nothing past the fatal error is sent
  sender->Stop(false);
  auto fatals = listener.Fatals();
  ASSERT_EQ(fatals.size(), 1u);
  EXPECT_EQ(fatals[0].code(), StatusCode::kPermissionDenied);
  EXPECT_NE(fatals[0].message().find("403"), std::string::npos);
  EXPECT_NE(fatals[0].message().find("may not write here"), std::string::npos);
  EXPECT_EQ(fatals[0].message().find("key-secret-123"), std::string::npos);
  EXPECT_EQ(listener.Delivered(), 0u);
  EXPECT_TRUE(listener.Rejected().empty());
  EXPECT_EQ(server->Requests("/ingest").size(), 1u);
}

TEST(HttpSender, DeliversOnceServerComesUpAfterConnectionRefused) {
  uint16_t port = 0;
  {
    auto probe = StartServer();  // find a free port, then close it
    port = probe->port();
  }
  auto format = Format("ndjson");
  HttpSinkConfig config;
  config.urls = {"http://127.0.0.1:" + std::to_string(port) + "/ingest"};
  config.transport = TransportUnderTest();
  config.backoff_initial_ms = 5;
  config.backoff_max_ms = 50;
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  sender->Submit(MakeBatch(*format, Values(2)));
  for (int i = 0; i < 3000 && sender->Stats().retries_network < 2; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_GE(sender->Stats().retries_network, 2u);
  EXPECT_EQ(listener.Delivered(), 0u);
  auto server = StartServer(port);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(listener.WaitForRecords(2));
  sender->Stop(false);
  EXPECT_EQ(listener.DeliveredOffsets(), (std::set<int64_t>{0, 1}));
  EXPECT_EQ(server->Requests("/ingest").size(), 1u);
}

TEST(HttpSender, RetriesDroppedConnections) {
  auto server = StartServer();
  server->Script("/ingest", {ScriptedResponse{200, "", {}, 0, true}});
  auto format = Format("ndjson");
  RecordingListener listener;
  auto sender = MakeSender(BaseConfig(*server), format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  sender->Submit(MakeBatch(*format, Values(1)));
  ASSERT_TRUE(listener.WaitForRecords(1));
  sender->Stop(false);
  EXPECT_EQ(listener.Delivered(), 1u);
  EXPECT_EQ(sender->Stats().retries_network, 1u);
}

TEST(HttpSender, KeepsRequestsInFlightWithinConcurrency) {
  auto server = StartServer();
  server->SetDefault(ScriptedResponse{200, "{}", {}, 150, false});
  auto format = Format("ndjson");
  HttpSinkConfig config = BaseConfig(*server);
  config.concurrency = 8;
  config.http2 = false;
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  for (int i = 0; i < 32; ++i) sender->Submit(MakeBatch(*format, Values(1, i), i));
  ASSERT_TRUE(listener.WaitForRecords(32));
  sender->Stop(false);
  EXPECT_EQ(listener.Delivered(), 32u);
  EXPECT_LE(server->MaxConcurrent(), 8);
  EXPECT_GE(server->MaxConcurrent(), 2);
  EXPECT_GT(sender->RequestLatency().Count(), 0u);
}

TEST(HttpSender, StopWithoutAbandonFinishesEverythingSubmitted) {
  auto server = StartServer();
  server->SetDefault(ScriptedResponse{200, "{}", {}, 20, false});
  auto format = Format("ndjson");
  RecordingListener listener;
  auto sender = MakeSender(BaseConfig(*server), format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  for (int i = 0; i < 20; ++i) sender->Submit(MakeBatch(*format, Values(1, i), i));
  sender->Stop(false);
  EXPECT_EQ(listener.Delivered(), 20u);
  EXPECT_EQ(sender->Stats().in_flight, 0u);
}

TEST(HttpSender, SpreadsBatchesRoundRobinOverEndpoints) {
  auto a = StartServer();
  auto b = StartServer();
  auto format = Format("ndjson");
  HttpSinkConfig config = BaseConfig(*a);
  config.urls = {a->Url("/ingest"), b->Url("/ingest")};
  config.concurrency = 1;
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  for (int i = 0; i < 4; ++i) sender->Submit(MakeBatch(*format, Values(1, i), i));
  ASSERT_TRUE(listener.WaitForRecords(4));
  sender->Stop(false);
  EXPECT_EQ(a->Requests("/ingest").size(), 2u);
  EXPECT_EQ(b->Requests("/ingest").size(), 2u);
}

TEST(HttpSender, RateLimitDelaysRequestsBeyondTheBucket) {
  auto server = StartServer();
  auto format = Format("ndjson");
  HttpSinkConfig config = BaseConfig(*server);
  config.rate_limit_records_per_s = 10;  // bucket of 10 records: the 2nd batch waits ~1 s
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  sender->Submit(MakeBatch(*format, Values(10)));
  sender->Submit(MakeBatch(*format, Values(10, 10), 10));
  ASSERT_TRUE(listener.WaitForRecords(20));
  sender->Stop(false);
  auto reqs = server->Requests("/ingest");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_GE(reqs[1].arrived - reqs[0].arrived, 900ms);
}

TEST(HttpSender, DeliversSubmissionsFromAnotherThreadToAnIdleLoop) {
  // Each batch is submitted from a fresh thread only after the previous one was delivered, so
  // the loop is idle in epoll_wait every time and must be woken by the submission. That the
  // wakeup ends the wait by itself (and not its idle timeout) is asserted in
  // sender_event_loop_test, where the cause of the wait's end is visible.
  auto server = StartServer();
  auto format = Format("ndjson");
  RecordingListener listener;
  auto sender = MakeSender(BaseConfig(*server), format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  constexpr int kBatches = 30;
  for (int i = 0; i < kBatches; ++i) {
    std::thread producer([&] { sender->Submit(MakeBatch(*format, Values(1, i), i)); });
    producer.join();
    ASSERT_TRUE(listener.WaitForRecords(static_cast<size_t>(i) + 1));
  }
  sender->Stop(false);
  EXPECT_EQ(listener.Delivered(), static_cast<size_t>(kBatches));
  EXPECT_EQ(server->Requests("/ingest").size(), static_cast<size_t>(kBatches));
}

TEST(HttpSender, DrivesSixtyFourConnectionsAtOnce) {
  auto server = StartServer();
  server->SetDefault(ScriptedResponse{200, "{}", {}, 100, false});
  auto format = Format("ndjson");
  HttpSinkConfig config = BaseConfig(*server);
  config.concurrency = 64;
  config.http2 = false;
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  constexpr int kBatches = 256;
  for (int i = 0; i < kBatches; ++i) sender->Submit(MakeBatch(*format, Values(1, i), i));
  ASSERT_TRUE(listener.WaitForRecords(kBatches));
  sender->Stop(false);
  std::set<int64_t> expected;
  for (int i = 0; i < kBatches; ++i) expected.insert(i);
  EXPECT_EQ(listener.DeliveredOffsets(), expected);
  EXPECT_EQ(server->Requests("/ingest").size(), static_cast<size_t>(kBatches));
  EXPECT_LE(server->MaxConcurrent(), 64);
  // Every batch is queued before the first answer (100 ms) comes back, so the loop had far
  // more than 8 sockets open at once.
  EXPECT_GT(server->MaxConcurrent(), 8);
  EXPECT_EQ(sender->Stats().in_flight, 0u);
}

TEST(HttpSender, ReusedHandleSendsEachBodyWithItsOwnSize) {
  // One connection, so one pooled easy handle carries every request: small, larger than the
  // 64 KiB upload buffer (it grows), larger still, then small again. Each body must arrive
  // exactly, with nothing left over from the previous request on the handle.
  auto server = StartServer();
  auto format = Format("ndjson");
  HttpSinkConfig config = BaseConfig(*server);
  config.concurrency = 1;
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  const std::vector<int> records_per_batch = {1, 4000, 15000, 2, 5000, 1};  // ~21 B per record
  std::vector<std::string> bodies;
  int64_t offset = 0;
  for (int n : records_per_batch) {
    auto batch = MakeBatch(*format, Values(n, static_cast<int>(offset)), offset);
    bodies.push_back(batch->payload);
    offset += n;
    sender->Submit(std::move(batch));
  }
  ASSERT_TRUE(listener.WaitForRecords(static_cast<size_t>(offset)));
  sender->Stop(false);
  auto reqs = server->Requests("/ingest");
  ASSERT_EQ(reqs.size(), bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(reqs[i].body.size(), bodies[i].size()) << "request " << i;
    EXPECT_TRUE(reqs[i].body == bodies[i]) << "request " << i;
  }
  EXPECT_GT(bodies[2].size(), 256u << 10);
}

TEST(HttpSender, PooledHandlesKeepBasicAuthAndSwitchEndpoints) {
  auto a = StartServer();
  auto b = StartServer();
  auto format = Format("ndjson");
  HttpSinkConfig config = BaseConfig(*a);
  config.urls = {a->Url("/ingest"), b->Url("/other")};
  config.concurrency = 1;  // one handle alternates between the two URLs
  config.auth = AuthMode::kBasic;
  config.username = "ann";
  config.password = "s3cret";
  RecordingListener listener;
  auto sender = MakeSender(config, format);
  ASSERT_TRUE(sender->Start(&listener).ok());
  for (int i = 0; i < 6; ++i) sender->Submit(MakeBatch(*format, Values(1, i), i));
  ASSERT_TRUE(listener.WaitForRecords(6));
  sender->Stop(false);
  auto ra = a->Requests("/ingest");
  auto rb = b->Requests("/other");
  ASSERT_EQ(ra.size(), 3u);
  ASSERT_EQ(rb.size(), 3u);
  for (const auto& r : ra) EXPECT_EQ(r.Header("authorization"), "Basic YW5uOnMzY3JldA==");
  for (const auto& r : rb) EXPECT_EQ(r.Header("authorization"), "Basic YW5uOnMzY3JldA==");
}

TEST(HttpSender, RejectsInvalidConfig) {
  HttpSinkConfig c;
  EXPECT_EQ(HttpSender::Create(c, Format("ndjson")).status().code(), StatusCode::kInvalidArgument);
  c.urls = {"http://127.0.0.1:1/x"};
  c.auth = AuthMode::kFeatureBaseToken;
  EXPECT_EQ(HttpSender::Create(c, Format("ndjson")).status().code(), StatusCode::kInvalidArgument);
  c.auth = AuthMode::kNone;
  EXPECT_EQ(HttpSender::Create(c, nullptr).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::stages
