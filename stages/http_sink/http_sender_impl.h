// File: stages/http_sink/http_sender_impl.h
// HttpSender::Impl, the sender's state and the member functions that act on it. Private to the
// http_sink stage: only http_sender.cpp (the loop, dispatch, sending, the public API) and
// http_sender_answers.cpp (what each answer's verdict does to its batch) include it; nothing
// outside this folder may, and HttpSender's users see only http_sender.h.
// Thread-safety: everything below Run() happens on the sender thread; the only cross-thread
// state is the submission queue, the loop's wakeup, the atomics (flags and stats) and the
// histograms (atomic buckets).
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <concurrentqueue/concurrentqueue.h>

#include "engine/batch.h"
#include "engine/batch_sender.h"
#include "engine/latency_histogram.h"
#include "engine/sink_format.h"
#include "engine/status.h"
#include "stages/http_sink/answer_budget.h"
#include "stages/http_sink/body_size_limit.h"
#include "stages/http_sink/curl_transfer_pool.h"
#include "stages/http_sink/endpoint_set.h"
#include "stages/http_sink/http_sender.h"
#include "stages/http_sink/http_sink_config.h"
#include "stages/http_sink/isolation_group.h"
#include "stages/http_sink/plain_http_client.h"
#include "stages/http_sink/request_outcome.h"
#include "stages/http_sink/retry_policy.h"
#include "stages/http_sink/secret_redactor.h"
#include "stages/http_sink/sender_concurrency.h"
#include "stages/http_sink/sender_event_loop.h"
#include "stages/http_sink/sink_availability.h"
#include "stages/http_sink/status_counts.h"
#include "stages/http_sink/token_fetcher.h"

namespace sluice::stages {

struct HttpSender::Impl {
  using Clock = SenderClock;

  struct Submission {
    std::unique_ptr<Batch> batch;
    Clock::time_point intended{};
  };

  HttpSinkConfig config;
  std::shared_ptr<const SinkFormat> format;
  DeliveryListener* listener = nullptr;
  SenderEventLoop loop;  // the multi handle, the epoll set and the wakeup
  std::thread thread;
  std::mutex join_mu;

  std::atomic<bool> started{false};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> abandon{false};
  moodycamel::ConcurrentQueue<Submission> submissions;

  // Stats (written on the sender thread, read anywhere).
  std::atomic<uint64_t> requests{0}, auth_refreshes{0}, splits{0}, bytes_sent{0}, in_flight{0}, waiting{0};
  BodySizeLimit body_limit;  // 2xx/413 history; its Hint() is MaxBatchBytesHint()
  LatencyHistogram request_latency;
  LatencyHistogram open_loop_latency;
  StatusCounts status_counts;     // data requests by answer status; the latest answer's health
  SenderConcurrency concurrency;  // what Dispatch allows now (fixed or adaptive)

  // Sender-thread state.
  EndpointSet endpoints;
  std::deque<std::unique_ptr<Job>> ready;
  std::multimap<Clock::time_point, std::unique_ptr<Job>> timers;
  CurlTransferPool transfers;                     // every data transfer, configured once
  std::unique_ptr<PlainHttpClient> plain;         // null unless some endpoint is plain http://
  std::vector<bool> plain_endpoint;               // per endpoint: data requests go through `plain`
  std::vector<PlainHttpFinished> plain_finished;  // reused between loop turns
  int data_in_flight = 0;
  bool fatal = false;
  RetryPolicy retry;                         // counts, limits and paces retries
  std::vector<std::string> static_headers;   // Content-Type, Expect:, auth, extras, encoding
  std::shared_ptr<HeaderList> data_headers;  // static_headers (+ the current bearer token)
  AnswerBudget answer_budget;                // total bytes of answers held (config.max_answer_bytes_total)
  SecretRedactor redactor;                   // every credential held; applied to all text from the sink
  std::function<void(std::unique_ptr<Batch>)> batch_recycler;  // set before Start, or empty
  std::atomic<std::thread::id> sender_thread_id{};

  TokenFetcher token;             // kFeatureBaseToken only (disabled otherwise)
  SinkAvailability availability;  // warnings while the sink fails; --sink-unavailable-timeout

  ~Impl() {
    plain.reset();      // closes its sockets before the bodies they point at go
    transfers.Clear();  // Run() removed them from the multi handle
    token.Clear();
  }  // then `loop` cleans up the multi handle

  // --- helpers -------------------------------------------------------------------------------

  // Every text that came from the sink passes through here before it reaches a reason, a
  // dead letter, a log line or a Status.
  std::string Redact(std::string_view text) const { return redactor.Redact(text); }

  // Feeds one answer to the adaptive limit. `in_flight_before`: requests in flight when it
  // arrived (incl. this one), to tell a saturated sender from an idle one.
  void ObserveResponse(Clock::duration rtt, bool overloaded, int in_flight_before) {
    concurrency.Observe(rtt, overloaded, in_flight_before, !ready.empty());
  }

  void FinishTransfer(Transfer* t) { transfers.Finish(t); }

  // --- the loop and sending (http_sender.cpp) ---------------------------------------------

  void Run();
  void DrainSubmissions();
  void ProcessCompletions();
  void ProcessPlainFinished();
  // Starts as many ready jobs as concurrency, endpoints and the token allow. Returns the
  // earliest time something blocked by a pause or a rate limit could go (max() if none).
  Clock::time_point Dispatch(Clock::time_point now);
  void StartRequest(std::unique_ptr<Job> job, size_t endpoint, Clock::time_point now);
  void StartPlainRequest(std::unique_ptr<Job> job, size_t endpoint, Clock::time_point now);
  void OnTokenDone(Transfer* t, CURLcode rc);
  void Fatal(const Status& status);
  // Every endpoint, for messages about the sink as a whole.
  std::string SinkName() const;

  // --- answers (http_sender_answers.cpp) ---------------------------------------------------

  void OnDataDone(Transfer* t, const RequestOutcome& outcome);
  // `status`: the HTTP status that asked for the retry (0 when none arrived), for the pause log.
  void ScheduleRetry(std::unique_ptr<Job> job, RetryKind kind, const Transfer& t, const std::string& why,
                     long status = 0);
  // The rate-limited warning of sink_availability.h; `why` may quote the sink.
  void WarnSinkTrouble(Clock::time_point now, const std::string& kind, const std::string& url, const std::string& why,
                       Clock::time_point this_job_since);
  std::unique_ptr<Job> SubJob(const Job& parent, size_t begin, size_t end);
  void Split(std::unique_ptr<Job> job);
  void RecordOutcome(const Job& job);
  void RejectAll(const Job& job, const std::string& sink_reason);
  // Isolation (isolation_group.h): once every record of a batch refused whole has an outcome,
  // either the held rejections go out or, when all were refused alike, the run stops.
  void Settle(IsolationGroup& group, IsolationGroup::Verdict verdict, const std::string& url);
  // Records of `job` that got an outcome other than "refused whole": its group learns of it.
  void NoteOtherOutcome(const Job& job, const std::string& url);
  void Deliver(const Job& job, const std::vector<RejectedIndex>& rejected, size_t wire_bytes);
  // The sink's words in a verdict (whole-request reason and per-record reasons) before they
  // go anywhere: dead letters, retry reasons, fatal messages.
  void RedactVerdict(ResponseVerdict& v) const;
  std::string RedirectMessage(const std::string& url, long status, const std::string& location) const;
};

}  // namespace sluice::stages
