// Adaptive concurrency end to end: an HttpSender with adaptive_concurrency feeds the real
// sluice-sink-emulator (child process, loopback) in a closed loop while the emulator's latency
// and 503 rate are changed at run time through POST /admin/faults. Asserts relationships only
// (the limit rises, backs off under push-back, recovers), never exact numbers or timings.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/common/child_process.h"  // ExecutableDir
#include "app/common/http_get.h"
#include "stages/http_sink/http_sender.h"
#include "stages/sink_formats/make_sink_format.h"
#include "tests/testing/subprocess.h"

namespace sluice::stages {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// Counts every record's outcome; the closed loop waits on it.
class CountingListener : public DeliveryListener {
 public:
  void OnDelivery(DeliveryReport report) override {
    std::lock_guard<std::mutex> lock(mu_);
    delivered_ += report.delivered.size();
    rejected_ += report.rejected.size();
    cv_.notify_all();
  }
  void OnFatal(Status status) override {
    std::lock_guard<std::mutex> lock(mu_);
    fatals_.push_back(status.ToString());
    cv_.notify_all();
  }
  uint64_t Accounted() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_ + rejected_;
  }
  uint64_t Delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }
  std::vector<std::string> Fatals() {
    std::lock_guard<std::mutex> lock(mu_);
    return fatals_;
  }
  // Waits until fewer than `max_outstanding` of `submitted` records are unaccounted for.
  void WaitBelow(uint64_t submitted, uint64_t max_outstanding, std::chrono::milliseconds at_most) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, at_most,
                 [&] { return submitted - (delivered_ + rejected_) < max_outstanding || !fatals_.empty(); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t delivered_ = 0;
  uint64_t rejected_ = 0;
  std::vector<std::string> fatals_;
};

class AdaptiveConcurrency : public ::testing::Test {
 protected:
  static constexpr int kRecordsPerBatch = 10;
  static constexpr int kOutstandingBatches = 96;  // more than max_concurrency: always saturated

  void SetUp() override {
    const std::string bin = Env("SLUICE_BIN_DIR", tools::ExecutableDir() + "/../bin");
    const std::string src = Env("SLUICE_SOURCE_DIR", SLUICE_TEST_SOURCE_DIR);
    ::sluice::testing::ProcessOptions options;
    options.argv = {bin + "/sluice-sink-emulator",
                    "--port",
                    "0",
                    "--table",
                    src + "/examples/flights/table.json",
                    "--schema",
                    src + "/examples/flights/schema.json",
                    "--latency-ms",
                    "20"};
    const std::string prefix = "listening on ";
    std::string line, error;
    emulator_ = ::sluice::testing::StartServer(options, prefix, &line, &error);
    ASSERT_NE(emulator_, nullptr) << error;
    base_ = "http://" + line.substr(prefix.size());

    SinkFormatConfig fc;
    fc.name = "featurebase";
    auto f = MakeSinkFormat(fc);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    format_ = std::shared_ptr<const SinkFormat>(std::move(*f));
  }

  void SetFaults(const std::string& json) {
    auto r = tools::HttpPost(base_ + "/admin/faults", json);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, 200) << r->body;
  }

  std::unique_ptr<Batch> NextBatch() {
    auto b = std::make_unique<Batch>();
    format_->Open(b->payload);
    for (int i = 0; i < kRecordsPerBatch; ++i) {
      const int64_t id = next_id_++;
      const std::string v = "{\"_id\":" + std::to_string(id) + ",\"airline\":\"AA\",\"stops\":\"0\"}";
      BatchRecord r;
      r.begin = format_->Append(b->payload, v, i == 0);
      r.length = static_cast<uint32_t>(v.size());
      r.position.offset = id;
      b->records.push_back(r);
    }
    format_->Close(b->payload);
    return b;
  }

  struct Observed {
    int first = 0;
    int last = 0;
    int min = 0;
    int max = 0;
    uint64_t max_in_flight = 0;
  };

  // Closed loop for at most `duration` (or until `done(limit)`): keeps kOutstandingBatches
  // batches submitted and not yet answered, sampling the limit as it goes.
  template <typename Done>
  Observed Drive(HttpSender& sender, CountingListener& listener, std::chrono::milliseconds duration, Done done) {
    Observed o;
    o.first = o.last = o.min = o.max = sender.CurrentConcurrencyLimit();
    const auto until = Clock::now() + duration;
    while (Clock::now() < until && listener.Fatals().empty()) {
      while (submitted_ - listener.Accounted() < static_cast<uint64_t>(kOutstandingBatches * kRecordsPerBatch)) {
        sender.Submit(NextBatch());
        submitted_ += kRecordsPerBatch;
      }
      listener.WaitBelow(submitted_, kOutstandingBatches * kRecordsPerBatch, 10ms);
      o.last = sender.CurrentConcurrencyLimit();
      o.min = std::min(o.min, o.last);
      o.max = std::max(o.max, o.last);
      o.max_in_flight = std::max(o.max_in_flight, sender.Stats().in_flight);
      if (done(o.last)) break;
    }
    return o;
  }

  /// Adaptive concurrency from 1 (not the default 10, so the whole ramp is exercised) up to 64
  /// against sink `sink` of the emulator, HTTP/1.1.
  HttpSinkConfig AdaptiveConfig(const std::string& sink) const {
    HttpSinkConfig c;
    c.urls = {base_ + "/v2/sinks/" + sink};
    c.adaptive_concurrency = true;
    c.min_concurrency = 1;
    c.initial_concurrency = 1;
    c.max_concurrency = 64;
    c.request_timeout_ms = 10000;
    c.http2 = false;
    return c;
  }

  std::unique_ptr<::sluice::testing::Subprocess> emulator_;
  std::string base_;
  std::shared_ptr<const SinkFormat> format_;
  int64_t next_id_ = 1;
  uint64_t submitted_ = 0;
};

TEST_F(AdaptiveConcurrency, RisesBacksOffUnderPushBackAndRecovers) {
  HttpSinkConfig c = AdaptiveConfig("adaptive");
  c.backoff_initial_ms = 5;
  c.backoff_max_ms = 50;
  c.log_concurrency_changes = true;  // debug lines on stderr, at most one a second
  auto sender = HttpSender::Create(c, format_);
  ASSERT_TRUE(sender.ok()) << sender.status().ToString();
  CountingListener listener;
  ASSERT_TRUE((*sender)->Start(&listener).ok());
  EXPECT_EQ((*sender)->CurrentConcurrencyLimit(), 1);  // starts at initial_concurrency

  // 1) Flat 20 ms latency: the limit climbs well above 1 and requests really overlap.
  Observed rise = Drive(**sender, listener, 8000ms, [](int limit) { return limit >= 16; });
  EXPECT_GE(rise.max, 8) << "limit never rose well above 1";
  EXPECT_GE(rise.max_in_flight, 4u) << "the sender did not use the higher limit";
  const int before_faults = rise.last;

  // 2) 200 ms latency and 50% 503s for 2 s: the limit backs off.
  SetFaults(R"({"latency_ms":200,"error_503_rate":0.5})");
  Observed backoff = Drive(**sender, listener, 2000ms, [](int) { return false; });
  EXPECT_LT(backoff.min, before_faults) << "limit did not back off";
  EXPECT_LE(backoff.min, std::max(1, before_faults / 2)) << "back-off is multiplicative";
  EXPECT_GT((*sender)->Stats().retries_server, 0u) << "the 503s were not seen";

  // 3) Faults removed, 20 ms again: the limit rises again from where it backed off to.
  SetFaults(R"({"latency_ms":20,"error_503_rate":0})");
  const int low = backoff.last;
  Observed recover = Drive(**sender, listener, 10000ms, [low](int limit) { return limit >= low + 6; });
  EXPECT_GE(recover.max, low + 6) << "limit did not recover from " << low;

  std::printf("adaptive: rise to %d (peak in flight %llu); under faults %d..%d; recovered %d -> %d\n", rise.max,
              static_cast<unsigned long long>(rise.max_in_flight), backoff.min, backoff.max, low, recover.max);

  // Nothing was lost on the way: every record submitted is delivered once the sender drains.
  (*sender)->Stop(false);
  EXPECT_TRUE(listener.Fatals().empty()) << listener.Fatals().front();
  EXPECT_EQ(listener.Delivered(), submitted_);
}

TEST_F(AdaptiveConcurrency, BacksOffWhenOnlyTheLatencyRisesAndRecovers) {
  HttpSinkConfig c = AdaptiveConfig("latency");
  auto sender = HttpSender::Create(c, format_);
  ASSERT_TRUE(sender.ok()) << sender.status().ToString();
  CountingListener listener;
  ASSERT_TRUE((*sender)->Start(&listener).ok());

  Observed rise = Drive(**sender, listener, 8000ms, [](int limit) { return limit >= 16; });
  ASSERT_GE(rise.max, 8) << "limit never rose well above 1";
  const int before = rise.last;

  // The sink slows down tenfold, every answer still a 200: only the RTT says so.
  SetFaults(R"({"latency_ms":250})");
  Observed slow = Drive(**sender, listener, 4000ms, [before](int limit) { return limit <= before / 2; });
  EXPECT_LE(slow.min, std::max(1, before / 2)) << "the limit did not back off on RTT alone";
  EXPECT_EQ((*sender)->Stats().retries, 0u) << "no push-back answers were injected";

  SetFaults(R"({"latency_ms":20})");
  const int low = slow.last;
  Observed recover = Drive(**sender, listener, 10000ms, [low](int limit) { return limit >= low + 6; });
  EXPECT_GE(recover.max, low + 6) << "limit did not recover from " << low;
  std::printf("adaptive (latency only): rise to %d; at 250 ms down to %d; recovered %d -> %d\n", rise.max, slow.min,
              low, recover.max);

  (*sender)->Stop(false);
  EXPECT_TRUE(listener.Fatals().empty()) << listener.Fatals().front();
  EXPECT_EQ(listener.Delivered(), submitted_);
}

TEST_F(AdaptiveConcurrency, FixedConcurrencyReportsItsLimit) {
  HttpSinkConfig c;
  c.urls = {base_ + "/v2/sinks/fixed"};
  c.concurrency = 6;
  auto sender = HttpSender::Create(c, format_);
  ASSERT_TRUE(sender.ok()) << sender.status().ToString();
  EXPECT_EQ((*sender)->CurrentConcurrencyLimit(), 6);
  CountingListener listener;
  ASSERT_TRUE((*sender)->Start(&listener).ok());
  Observed o = Drive(**sender, listener, 1000ms, [](int) { return false; });
  EXPECT_EQ(o.min, 6);
  EXPECT_EQ(o.max, 6);
  EXPECT_LE(o.max_in_flight, 6u);
  (*sender)->Stop(false);
  EXPECT_EQ(listener.Delivered(), submitted_);
}

TEST_F(AdaptiveConcurrency, StartsAtTheInitialConcurrencyWithinTheRange) {
  HttpSinkConfig c;
  c.urls = {base_ + "/v2/sinks/initial"};
  c.adaptive_concurrency = true;
  {
    auto sender = HttpSender::Create(c, format_);
    ASSERT_TRUE(sender.ok()) << sender.status().ToString();
    EXPECT_EQ((*sender)->CurrentConcurrencyLimit(), 10) << "the default start is TCP's initial window";
  }
  c.max_concurrency = 4;
  {
    auto sender = HttpSender::Create(c, format_);
    ASSERT_TRUE(sender.ok()) << sender.status().ToString();
    EXPECT_EQ((*sender)->CurrentConcurrencyLimit(), 4) << "the start is clamped to max_concurrency";
  }
  c.max_concurrency = 64;
  c.min_concurrency = 20;
  c.initial_concurrency = 12;
  {
    auto sender = HttpSender::Create(c, format_);
    ASSERT_TRUE(sender.ok()) << sender.status().ToString();
    EXPECT_EQ((*sender)->CurrentConcurrencyLimit(), 20) << "the start is clamped to min_concurrency";
  }
}

TEST(HttpSinkConfigAdaptive, ValidateChecksTheAdaptiveRange) {
  HttpSinkConfig c;
  c.urls = {"http://127.0.0.1:1/x"};
  c.adaptive_concurrency = true;
  c.min_concurrency = 0;
  EXPECT_EQ(Validate(c).code(), StatusCode::kInvalidArgument);
  c.min_concurrency = 8;
  c.max_concurrency = 4;
  EXPECT_EQ(Validate(c).code(), StatusCode::kInvalidArgument);
  c.max_concurrency = 8;
  EXPECT_TRUE(Validate(c).ok());
  c.initial_concurrency = 0;
  EXPECT_EQ(Validate(c).code(), StatusCode::kInvalidArgument);
  c.initial_concurrency = 1025;
  EXPECT_EQ(Validate(c).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::stages
