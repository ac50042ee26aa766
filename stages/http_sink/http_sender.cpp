// HttpSender implementation: the sender thread's loop (Run), dispatch of ready batches, and
// what each answer's verdict does to its batch (OnDataDone). Its parts live in files of their
// own: the event loop (sender_event_loop), libcurl transfers (curl_transfer_pool), token auth
// (token_fetcher), endpoint pauses, limits and health (endpoint_set), the in-flight limit
// (sender_concurrency), retries (retry_policy), request and batch outcomes (request_outcome,
// batch_outcomes), the plain client's share (plain_transport); what an answer means is the
// SinkFormat's verdict. Everything below Impl::Run() happens on the sender thread; the only
// cross-thread state is the submission queue, the loop's wakeup, the atomics (flags and
// stats) and the histograms (atomic buckets).
#include "stages/http_sink/http_sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <concurrentqueue/concurrentqueue.h>

#include "engine/log.h"
#include "stages/http_sink/answer_budget.h"
#include "stages/http_sink/batch_outcomes.h"
#include "stages/http_sink/body_size_limit.h"
#include "stages/http_sink/curl_transfer_pool.h"
#include "stages/http_sink/endpoint_set.h"
#include "stages/http_sink/plain_http_client.h"
#include "stages/http_sink/plain_transport.h"
#include "stages/http_sink/request_outcome.h"
#include "stages/http_sink/retry_policy.h"
#include "stages/http_sink/secret_redactor.h"
#include "stages/http_sink/sender_concurrency.h"
#include "stages/http_sink/sender_event_loop.h"
#include "stages/http_sink/sink_availability.h"
#include "stages/http_sink/status_counts.h"
#include "stages/http_sink/token_fetcher.h"

namespace sluice::stages {
namespace {

using Clock = std::chrono::steady_clock;

// Answers in a row for the same batch that acknowledge nothing because they could not be read
// whole or understood (kNotUnderstood) before the run stops: a sink that keeps answering so is
// broken or misconfigured, and resending forever would hide it.
constexpr int kMaxNotUnderstoodInARow = 3;
constexpr size_t kDefaultUploadBuffer = 64u << 10;  // libcurl's default upload buffer
constexpr size_t kMaxUploadBuffer = 1u << 20;      // 1 MiB per handle at most (curl allows 2 MiB)

StatusCode CodeForHttpStatus(long status) {
  switch (status) {
    case 401: return StatusCode::kUnauthenticated;
    case 403: return StatusCode::kPermissionDenied;
    case 404: return StatusCode::kNotFound;
    case 413: return StatusCode::kResourceExhausted;
    default: return StatusCode::kFailedPrecondition;
  }
}

struct Submission {
  std::unique_ptr<Batch> batch;
  Clock::time_point intended{};
};

std::once_flag g_curl_init_once;  // curl_global_init must run once per process, before threads

}  // namespace

struct HttpSender::Impl {
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
  CurlTransferPool transfers;                   // every data transfer, configured once
  std::unique_ptr<PlainHttpClient> plain;       // null unless some endpoint is plain http://
  std::vector<bool> plain_endpoint;             // per endpoint: data requests go through `plain`
  std::vector<PlainHttpFinished> plain_finished;      // reused between loop turns
  int data_in_flight = 0;
  bool fatal = false;
  RetryPolicy retry;  // counts, limits and paces retries
  std::vector<std::string> static_headers;  // Content-Type, Expect:, auth, extras, encoding
  std::shared_ptr<HeaderList> data_headers;  // static_headers (+ the current bearer token)
  AnswerBudget answer_budget;  // total bytes of answers held (config.max_answer_bytes_total)
  SecretRedactor redactor;     // every credential held; applied to all text from the sink
  std::function<void(std::unique_ptr<Batch>)> batch_recycler;  // set before Start, or empty
  std::atomic<std::thread::id> sender_thread_id{};

  TokenFetcher token;  // kFeatureBaseToken only (disabled otherwise)
  SinkAvailability availability;  // warnings while the sink fails; --sink-unavailable-timeout

  ~Impl() {
    plain.reset();  // closes its sockets before the bodies they point at go
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

  void Fatal(Status status) {
    if (fatal) return;
    fatal = true;
    ready.clear();
    timers.clear();
    listener->OnFatal(Status(status.code(), Redact(status.message())));
  }

  void FinishTransfer(Transfer* t) { transfers.Finish(t); }

  void OnTokenDone(Transfer* t, CURLcode rc) {
    Status error;
    switch (token.OnDone(t, rc, Clock::now(), &error)) {
      case TokenFetcher::Outcome::kRetryLater: break;
      case TokenFetcher::Outcome::kFatal: Fatal(std::move(error)); break;
      case TokenFetcher::Outcome::kFetched:
        redactor.AddToken(token.token());
        data_headers = MakeHeaderList(static_headers, "Authorization: Bearer " + token.token());
        auth_refreshes.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    FinishTransfer(t);
  }

  // --- sending -------------------------------------------------------------------------------

  // Starts as many ready jobs as concurrency, endpoints and the token allow. Returns the
  // earliest time something blocked by a pause or a rate limit could go (max() if none).
  Clock::time_point Dispatch(Clock::time_point now) {
    Clock::time_point wake = Clock::time_point::max();
    if (fatal) return wake;
    if (token.enabled() && !token.valid()) return wake;  // the token fetch's completion wakes us
    const int limit = concurrency.Limit();
    // The answer budget's gate: requests whose answers could not all be held are not started.
    while (!ready.empty() && data_in_flight < limit && answer_budget.RoomForRequest(data_in_flight)) {
      Job& job = *ready.front();
      if (config.gzip && job.gzipped.empty() && !GzipCompress(job.batch->payload, job.gzipped)) {
        Fatal(Internal("gzip compression failed"));
        return wake;
      }
      const std::string& body = config.gzip ? job.gzipped : job.batch->payload;
      bool probe = false;
      const size_t chosen = endpoints.Acquire(now, static_cast<double>(job.batch->records.size()),
                                              static_cast<double>(body.size()), wake, &probe);
      if (chosen == EndpointSet::kNone) return wake;
      std::unique_ptr<Job> owned = std::move(ready.front());
      ready.pop_front();
      owned->probe = probe;
      StartRequest(std::move(owned), chosen, now);
    }
    return wake;
  }

  void StartRequest(std::unique_ptr<Job> job, size_t endpoint, Clock::time_point now) {
    if (plain_endpoint[endpoint]) {
      StartPlainRequest(std::move(job), endpoint, now);
      return;
    }
    Transfer* t = transfers.Take(/*for_plain_client=*/false);
    t->endpoint = endpoint;
    t->started = now;
    t->answer_cap = AnswerCapForRecords(job->batch->records.size());
    t->token_generation = token.generation();
    if (t->url_endpoint != endpoint) {
      curl_easy_setopt(t->easy, CURLOPT_URL, endpoints[endpoint].url.c_str());
      t->url_endpoint = endpoint;
    }
    if (t->headers != data_headers) {  // first use, or the token changed
      curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, data_headers->list);
      t->headers = data_headers;
    }
    const std::string& body = config.gzip ? job->gzipped : job->batch->payload;
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, body.data());  // no copy: the job owns it
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    // curl copies a body larger than 64 KiB through its upload buffer, 64 KiB per send() with a
    // poll() before each; a buffer as large as the body (capped) sends it in one call. It only
    // grows (in 64 KiB steps): setting it frees the buffer, which would cost an allocation of
    // the body's size per request.
    if (body.size() > kDefaultUploadBuffer) {
      const size_t rounded = (body.size() + kDefaultUploadBuffer - 1) / kDefaultUploadBuffer * kDefaultUploadBuffer;
      const long want = static_cast<long>(std::min(rounded, kMaxUploadBuffer));
      if (want > t->upload_buffer) {
        curl_easy_setopt(t->easy, CURLOPT_UPLOAD_BUFFERSIZE, want);
        t->upload_buffer = want;
      }
    }
    job->batch->attempts++;
    t->job = std::move(job);
    ++data_in_flight;
    in_flight.store(static_cast<uint64_t>(data_in_flight), std::memory_order_relaxed);
    t->active = true;
    curl_multi_add_handle(loop.multi(), t->easy);
  }

  void StartPlainRequest(std::unique_ptr<Job> job, size_t endpoint, Clock::time_point now) {
    Transfer* t = transfers.Take(/*for_plain_client=*/true);
    t->endpoint = endpoint;
    t->started = now;
    t->answer_cap = AnswerCapForRecords(job->batch->records.size());
    t->token_generation = token.generation();
    t->headers = data_headers;  // kept alive while the request is out (a token refresh replaces it)
    job->batch->attempts++;
    t->job = std::move(job);
    ++data_in_flight;
    in_flight.store(static_cast<uint64_t>(data_in_flight), std::memory_order_relaxed);
    t->active = true;
    PlainHttpRequest r;
    r.tag = t;
    r.endpoint = endpoint;
    r.header_fields = t->headers->fields;
    r.body = config.gzip ? t->job->gzipped : t->job->batch->payload;
    r.response = &t->response;
    r.retry_after_s = &t->retry_after_s;
    r.location = &t->location;
    r.max_response_bytes = t->answer_cap;
    r.answer_budget = &answer_budget;
    r.answer_held = &t->answer_held;
    plain->Start(r, now);
  }

  void ProcessPlainFinished() {
    if (!plain || !plain->HasFinished()) return;
    plain->TakeFinished(plain_finished);
    for (PlainHttpFinished& f : plain_finished) {
      const RequestOutcome o = PlainRequestOutcome(f);
      OnDataDone(static_cast<Transfer*>(f.tag), o);
    }
  }

  // `status`: the HTTP status that asked for the retry (0 when none arrived), for the pause log.
  void ScheduleRetry(std::unique_ptr<Job> job, RetryKind kind, const Transfer& t, const std::string& why,
                     long status = 0) {
    const Clock::time_point failed_at = Clock::now();
    if (job->failing_since == Clock::time_point{}) job->failing_since = failed_at;
    // The failure that exhausts the budget is not retried, so it is not counted as a retry:
    // the error and the summary's retry count then say the same number.
    if (retry.GivesUp(job->retries + 1)) {
      Fatal(Unavailable("giving up after " + std::to_string(job->retries) + " retries: POST " +
                        endpoints[t.endpoint].url_for_messages + ": " + why));
      return;
    }
    retry.Count(kind);
    WarnSinkTrouble(failed_at,
                    kind == RetryKind::kNetwork ? std::string("network")
                    : status > 0                ? "HTTP " + std::to_string(status)
                                                : std::string("answer"),
                    endpoints[t.endpoint].url_for_messages, why, job->failing_since);
    job->retries++;
    const Clock::time_point now = Clock::now();
    const RetryPacing pacing = retry.Pace(job->retries, t.retry_after_s);
    if (pacing.requested_s >= 0) {
      endpoints.Pause(t.endpoint, now, pacing, status);
    }
    timers.emplace(now + pacing.job_wait, std::move(job));
  }

  // The rate-limited warning of sink_availability.h; `why` may quote the sink.
  void WarnSinkTrouble(Clock::time_point now, const std::string& kind, const std::string& url, const std::string& why,
                       Clock::time_point this_job_since) {
    Clock::time_point oldest = this_job_since;
    for (const auto& [at, waiting] : timers) {
      if (waiting->failing_since != Clock::time_point{} && waiting->failing_since < oldest) {
        oldest = waiting->failing_since;
      }
    }
    const std::string line = availability.Warn(now, kind, url, Redact(why), oldest);
    if (!line.empty()) Log(LogLevel::kWarn, "http_sink", line);
  }

  // Every endpoint, for messages about the sink as a whole.
  std::string SinkName() const {
    std::string name = endpoints[0].url_for_messages;
    if (endpoints.size() > 1) name += " (and " + std::to_string(endpoints.size() - 1) + " more --sink-url)";
    return name;
  }

  std::unique_ptr<Job> SubJob(const Job& parent, size_t begin, size_t end) {
    auto job = std::make_unique<Job>();
    job->batch = SubBatch(*format, *parent.batch, begin, end);
    job->intended = parent.intended;
    job->isolation = parent.isolation;
    return job;
  }

  void Split(std::unique_ptr<Job> job) {
    splits.fetch_add(1, std::memory_order_relaxed);
    const size_t n = job->batch->records.size();
    // Front of the queue: these records are older than anything still waiting.
    ready.push_front(SubJob(*job, n / 2, n));
    ready.push_front(SubJob(*job, 0, n / 2));
  }

  void RecordOutcome(const Job& job) {
    if (job.intended != Clock::time_point{}) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - job.intended).count();
      open_loop_latency.Record(us > 0 ? static_cast<uint64_t>(us) : 0);
    }
  }

  void RejectAll(const Job& job, const std::string& sink_reason) {
    const std::string reason = Redact(sink_reason);  // it quotes the sink: never a credential
    DeliveryReport report = RejectedReport(*job.batch, reason);
    RecordOutcome(job);
    listener->OnDelivery(std::move(report));
  }

  // Isolation (isolation_group.h): once every record of a batch refused whole has an outcome,
  // either the held rejections go out or, when all were refused alike, the run stops.
  void Settle(IsolationGroup& group, IsolationGroup::Verdict verdict, const std::string& url) {
    if (verdict == IsolationGroup::Verdict::kConfigError) {
      Fatal(FailedPrecondition("POST " + url + ": " + group.Describe()));
    } else if (verdict == IsolationGroup::Verdict::kRelease) {
      for (DeliveryReport& r : group.TakeHeld()) listener->OnDelivery(std::move(r));
    }
  }

  // Records of `job` that got an outcome other than "refused whole": its group learns of it.
  void NoteOtherOutcome(const Job& job, const std::string& url) {
    if (job.isolation) Settle(*job.isolation, job.isolation->OnOtherOutcome(job.batch->records.size()), url);
  }

  void Deliver(const Job& job, const std::vector<RejectedIndex>& rejected, size_t wire_bytes) {
    // Per-record reasons were redacted by RedactVerdict.
    DeliveryReport report = AcceptedReport(*job.batch, rejected);
    bytes_sent.fetch_add(wire_bytes, std::memory_order_relaxed);
    RecordOutcome(job);
    listener->OnDelivery(std::move(report));
  }

  // The sink's words in a verdict (whole-request reason and per-record reasons) before they
  // go anywhere: dead letters, retry reasons, fatal messages.
  void RedactVerdict(ResponseVerdict& v) const {
    v.reason = Redact(v.reason);
    for (RejectedIndex& r : v.rejected) r.reason = Redact(r.reason);
  }

  std::string RedirectMessage(const std::string& url, long status, const std::string& location) const {
    std::string m = "POST " + url + ": redirects are not followed; the sink answered HTTP " + std::to_string(status);
    if (location.empty()) return m + " without a Location header";
    return m + " with Location: " + Redact(UrlForMessages(location)) + " - use that URL as --sink-url";
  }

  void OnDataDone(Transfer* t, const RequestOutcome& outcome) {
    const int in_flight_before = data_in_flight;
    --data_in_flight;
    in_flight.store(static_cast<uint64_t>(data_in_flight), std::memory_order_relaxed);
    requests.fetch_add(1, std::memory_order_relaxed);
    status_counts.Record(outcome.answered, outcome.status);
    const Clock::time_point now = Clock::now();
    request_latency.Record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - t->started).count()));
    std::unique_ptr<Job> job = std::move(t->job);
    const std::string& url = endpoints[t->endpoint].url_for_messages;
    if (fatal) {
      FinishTransfer(t);
      return;  // nothing past a fatal error is acknowledged
    }
    if (outcome.over_budget) answer_budget.ObserveOverflow(in_flight_before);
    if (!outcome.answered) {
      const std::string& err = outcome.error;
      if (!outcome.permanent) {
        endpoints.NoteHealth(t->endpoint, endpoints[t->endpoint].health.OnFailure(
                                              outcome.timed_out ? EndpointHealth::Failure::kTimeout
                                                                : EndpointHealth::Failure::kConnection,
                                              job->probe, now));
      }
      if (outcome.permanent) {
        Fatal(FailedPrecondition("POST " + url + " failed: " + err));
      } else {
        // A timeout is the sink falling behind; a refused/reset connection says nothing
        // about load (and its RTT is not a service time).
        if (outcome.timed_out) ObserveResponse(now - t->started, true, in_flight_before);
        ScheduleRetry(std::move(job), RetryKind::kNetwork, *t, err);
      }
      FinishTransfer(t);
      return;
    }
    const long status = outcome.status;
    endpoints.NoteHealth(t->endpoint, endpoints[t->endpoint].health.OnAnswer(job->probe));
    if (status >= 200 && status < 300) body_limit.OnAccepted(job->batch->payload.size());
    const size_t wire_bytes = config.gzip ? job->gzipped.size() : job->batch->payload.size();
    const size_t n = job->batch->records.size();
    if (outcome.complete) answer_budget.ObserveAnswer(t->response.size());
    ResponseVerdict v = format->JudgeAnswer(status, t->response, n, outcome.complete, t->retry_after_s >= 0);
    if (!outcome.complete) {
      v.reason += " - " + outcome.error + " (answer cap " + std::to_string(t->answer_cap) + " bytes for " +
                  std::to_string(n) + " records)";
    }
    RedactVerdict(v);
    if (v.cls != ResponseClass::kNotUnderstood) job->not_understood = 0;
    switch (v.cls) {
      case ResponseClass::kAccepted:
        token.OnAccepted();
        availability.OnAcknowledged(now);
        ObserveResponse(now - t->started, false, in_flight_before);
        Deliver(*job, v.rejected, wire_bytes);
        NoteOtherOutcome(*job, url);
        break;
      case ResponseClass::kRetry: {
        // Push-back answers shrink the adaptive limit; other transient errors (500, 502)
        // neither shrink nor grow it.
        if (v.pressure != RetryPressure::kNone) ObserveResponse(now - t->started, true, in_flight_before);
        const RetryKind kind = v.pressure == RetryPressure::kThrottled ? RetryKind::kThrottled : RetryKind::kServer;
        ScheduleRetry(std::move(job), kind, *t,
                      Redact("HTTP " + std::to_string(status) + ": " + BodySnippet(t->response)), status);
        break;
      }
      case ResponseClass::kNotUnderstood: {
        // Acknowledges nothing. Resent whole (the sink upserts by _id); a sink that keeps
        // answering so stops the run before anything past this batch is committed.
        const std::string what = "answer of " + std::to_string(t->response.size()) +
                                 " bytes could not be understood: " + v.reason;
        if (++job->not_understood >= kMaxNotUnderstoodInARow) {
          Fatal(FailedPrecondition("POST " + url + ": " + what + " (" + std::to_string(job->not_understood) +
                                   " such answers in a row for a batch of " + std::to_string(n) +
                                   " records; nothing of it was acknowledged)"));
        } else {
          ScheduleRetry(std::move(job), RetryKind::kServer, *t, what);
        }
        break;
      }
      case ResponseClass::kRefreshAuth:
        if (!token.enabled()) {
          Fatal(Unauthenticated("POST " + url + " answered HTTP 401 and the credentials cannot be refreshed: " +
                                BodySnippet(t->response)));
        } else if (token.OnRefused(t->token_generation)) {
          Fatal(Unauthenticated("POST " + url +
                                " keeps answering HTTP 401 after token refreshes: " + BodySnippet(t->response)));
        } else {
          ++job->auth_retries;
          ready.push_front(std::move(job));
        }
        break;
      case ResponseClass::kTooLarge:
        // See body_size_limit.h: a 413 to a body no larger than one the sink accepted is
        // transient; only a record that keeps getting 413 is dead-lettered.
        switch (body_limit.OnTooLarge(job->batch->payload.size(), n, job->too_large)) {
          case BodySizeLimit::TooLarge::kRetry:
            ScheduleRetry(std::move(job), RetryKind::kServer, *t, "HTTP 413: " + BodySnippet(t->response), status);
            break;
          case BodySizeLimit::TooLarge::kSplit:
            Split(std::move(job));
            break;
          case BodySizeLimit::TooLarge::kReject:
            RejectAll(*job, "record too large for the sink (HTTP 413 " + std::to_string(job->too_large.too_large_answers) +
                                " times, no body this large was ever accepted): " + v.reason);
            NoteOtherOutcome(*job, url);
            break;
        }
        break;
      case ResponseClass::kRejectedRequest:
        ObserveResponse(now - t->started, false, in_flight_before);  // processed: a real service time
        if (n <= 1) {
          const std::string reason =
              v.reason.empty() ? "rejected by the sink (HTTP " + std::to_string(status) + ")" : v.reason;
          if (job->isolation) {
            RecordOutcome(*job);
            Settle(*job->isolation,
                   job->isolation->OnRefusedWhole(RejectedReport(*job->batch, Redact(reason)), reason, status), url);
          } else {
            RejectAll(*job, reason);
          }
        } else {
          if (!job->isolation && n >= IsolationGroup::kMinRecordsToJudge) {
            job->isolation = std::make_shared<IsolationGroup>(n);
          }
          Split(std::move(job));
        }
        break;
      case ResponseClass::kFatal:
        if (status >= 300 && status < 400) {
          Fatal(FailedPrecondition(RedirectMessage(url, status, t->location)));
        } else {
          Fatal(Status(CodeForHttpStatus(status),
                       "POST " + url + " answered HTTP " + std::to_string(status) + ": " + BodySnippet(t->response)));
        }
        break;
    }
    FinishTransfer(t);
    // Still owned here only when every record was reported (retries and splits moved it on).
    if (job && job->batch && batch_recycler && !fatal) batch_recycler(std::move(job->batch));
  }

  void ProcessCompletions() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(loop.multi(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      const CURLcode rc = msg->data.result;
      if (token.Owns(t)) {
        OnTokenDone(t, rc);
        continue;
      }
      const RequestOutcome o = CurlRequestOutcome(*t, rc, answer_budget.Total());
      OnDataDone(t, o);
    }
  }

  void DrainSubmissions() {
    Submission s;
    while (submissions.try_dequeue(s)) {
      if (fatal || !s.batch || s.batch->records.empty()) continue;
      auto job = std::make_unique<Job>();
      job->batch = std::move(s.batch);
      job->intended = s.intended;
      ready.push_back(std::move(job));
    }
  }

  void Run() {
    int timeout_ms = 0;
    while (!abandon.load(std::memory_order_acquire)) {
      loop.Poll(timeout_ms, plain.get());
      Clock::time_point now = Clock::now();
      loop.RunCurlTimerIfDue(now);
      ProcessCompletions();
      if (plain) {
        plain->OnTimeouts(now);
        ProcessPlainFinished();
      }
      DrainSubmissions();
      now = Clock::now();
      while (!timers.empty() && timers.begin()->first <= now) {
        ready.push_back(std::move(timers.begin()->second));
        timers.erase(timers.begin());
      }
      if (!fatal) token.MaybeStart(now);
      concurrency.MaybeLog(now);
      Clock::time_point wake = Dispatch(now);
      ProcessPlainFinished();  // a request can fail inside Start (connection refused)
      waiting.store(ready.size() + timers.size(), std::memory_order_relaxed);
      if (!fatal) {
        Status unavailable =
            availability.Tick(Clock::now(), data_in_flight > 0 || !ready.empty() || !timers.empty(), SinkName());
        if (!unavailable.ok()) Fatal(std::move(unavailable));
        wake = std::min(wake, availability.NextDeadline());
      }
      if (stop_requested.load(std::memory_order_acquire) && data_in_flight == 0 &&
          (fatal || (ready.empty() && timers.empty() && submissions.size_approx() == 0))) {
        break;
      }
      if (!timers.empty()) wake = std::min(wake, timers.begin()->first);
      if (!fatal) wake = std::min(wake, token.NextWake());
      wake = std::min(wake, loop.curl_timer());  // new transfers set it to min(): no sleep then
      if (plain) wake = plain->HasFinished() ? now : std::min(wake, plain->NextDeadline());
      timeout_ms = SenderEventLoop::TimeoutMs(wake, now);
    }
    // Leaving: drop what is left unreported (abandon, or fatal).
    plain.reset();  // closes its sockets; its requests are dropped unreported
    transfers.FinishAllActive();
    token.Abandon();
    data_in_flight = 0;
    in_flight.store(0);
    ready.clear();
    timers.clear();
    waiting.store(0);
  }
};

HttpSender::HttpSender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpSender::~HttpSender() { Stop(true); }

StatusOr<std::unique_ptr<HttpSender>> HttpSender::Create(const HttpSinkConfig& config,
                                                         std::shared_ptr<const SinkFormat> format) {
  SLUICE_RETURN_IF_ERROR(Validate(config));
  if (!format) return InvalidArgument("HttpSender needs a sink format");
  std::call_once(g_curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->format = std::move(format);
  impl->answer_budget = AnswerBudget(config.max_answer_bytes_total);
  impl->redactor = SecretRedactor::ForConfig(config);
  impl->availability = SinkAvailability(config.unavailable_timeout_ms);
  SLUICE_RETURN_IF_ERROR(impl->loop.Init());
  impl->retry.Init(&impl->config);
  impl->transfers.Init(&impl->config, &impl->answer_budget, impl->loop.multi());
  impl->token.Init(config.auth == AuthMode::kFeatureBaseToken, &impl->config, &impl->transfers, impl->loop.multi(),
                   &impl->retry);
  SLUICE_RETURN_IF_ERROR(impl->concurrency.Init(&impl->config));
  const int connections = config.adaptive_concurrency ? config.max_concurrency : config.concurrency;
  curl_multi_setopt(impl->loop.multi(), CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(connections));
  curl_multi_setopt(impl->loop.multi(), CURLMOPT_MAXCONNECTS, static_cast<long>(connections * 2 + 2));
  auto plain = MakePlainClient(config, impl->loop.epoll_fd(), impl->plain_endpoint);
  if (!plain.ok()) return plain.status();
  impl->plain = std::move(*plain);
  impl->endpoints = EndpointSet(&impl->config, Clock::now());
  impl->static_headers = StaticRequestHeaders(config, impl->format->ContentType());
  if (!impl->token.enabled()) impl->data_headers = MakeHeaderList(impl->static_headers);  // token mode: built per token
  return std::unique_ptr<HttpSender>(new HttpSender(std::move(impl)));
}

Status HttpSender::Start(DeliveryListener* listener) {
  if (listener == nullptr) return InvalidArgument("HttpSender::Start needs a listener");
  if (impl_->started.exchange(true)) return FailedPrecondition("HttpSender already started");
  impl_->listener = listener;
  impl_->thread = std::thread([this] {
    impl_->sender_thread_id.store(std::this_thread::get_id(), std::memory_order_relaxed);
    impl_->Run();
  });
  return Status::Ok();
}

void HttpSender::Submit(std::unique_ptr<Batch> batch) { SubmitAt(std::move(batch), Batch::Clock::time_point{}); }

void HttpSender::SubmitAt(std::unique_ptr<Batch> batch, Batch::Clock::time_point intended_send_at) {
  if (impl_->stop_requested.load(std::memory_order_acquire)) return;
  impl_->submissions.enqueue(Submission{std::move(batch), intended_send_at});
  // From the sender thread itself (a recycler), the loop drains submissions before it polls
  // again: waking it would only cost a write and a read on its wakeup pipe.
  if (std::this_thread::get_id() != impl_->sender_thread_id.load(std::memory_order_relaxed)) {
    impl_->loop.Wake();
  }
}

void HttpSender::SetBatchRecycler(std::function<void(std::unique_ptr<Batch>)> recycler) {
  if (impl_->started.load(std::memory_order_acquire)) return;
  impl_->batch_recycler = std::move(recycler);
}

void HttpSender::Stop(bool abandon) {
  if (abandon) impl_->abandon.store(true, std::memory_order_release);
  impl_->stop_requested.store(true, std::memory_order_release);
  if (impl_->loop.can_wake()) impl_->loop.Wake();
  std::lock_guard<std::mutex> lock(impl_->join_mu);
  if (impl_->thread.joinable()) impl_->thread.join();
}

SenderStats HttpSender::Stats() const {
  const Impl& i = *impl_;
  SenderStats s;
  s.requests = i.requests.load(std::memory_order_relaxed);
  s.retries = i.retry.retries();
  s.retries_throttled = i.retry.throttled();
  s.retries_server = i.retry.server();
  s.retries_network = i.retry.network();
  s.auth_refreshes = i.auth_refreshes.load(std::memory_order_relaxed);
  s.splits = i.splits.load(std::memory_order_relaxed);
  s.bytes_sent = i.bytes_sent.load(std::memory_order_relaxed);
  s.in_flight = i.in_flight.load(std::memory_order_relaxed);
  s.queued = i.waiting.load(std::memory_order_relaxed) + i.submissions.size_approx();
  s.latency_p50_ms = static_cast<double>(i.request_latency.Percentile(50)) / 1000.0;
  s.latency_p99_ms = static_cast<double>(i.request_latency.Percentile(99)) / 1000.0;
  s.latency_max_ms = static_cast<double>(i.request_latency.Max()) / 1000.0;
  return s;
}

int HttpSender::CurrentConcurrencyLimit() const { return impl_->concurrency.Published(); }
size_t HttpSender::MaxBatchBytesHint() const { return impl_->body_limit.Hint(); }
const LatencyHistogram& HttpSender::RequestLatency() const { return impl_->request_latency; }
const LatencyHistogram& HttpSender::OpenLoopLatency() const { return impl_->open_loop_latency; }
std::vector<std::pair<int, uint64_t>> HttpSender::RequestsByStatus() const { return impl_->status_counts.Snapshot(); }
bool HttpSender::SinkDelivering() const { return impl_->status_counts.LastDelivering(); }

void HttpSender::ResetLatency() {
  impl_->request_latency.Reset();
  impl_->open_loop_latency.Reset();
}

}  // namespace sluice::stages
