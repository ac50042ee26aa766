// HttpSender implementation: the sender thread's loop (Run), dispatch of ready batches onto
// libcurl or the plain client, and the public API. Impl's state is declared in
// http_sender_impl.h; what each answer's verdict does to its batch (OnDataDone) is in
// http_sender_answers.cpp. Its other parts live in files of their own: the event loop
// (sender_event_loop), libcurl transfers (curl_transfer_pool), token auth (token_fetcher),
// endpoint pauses, limits and health (endpoint_set), the in-flight limit (sender_concurrency),
// retries (retry_policy), request and batch outcomes (request_outcome, batch_outcomes), the
// plain client's share (plain_transport); what an answer means is the SinkFormat's verdict.
// Everything below Impl::Run() happens on the sender thread; the only cross-thread state is the
// submission queue, the loop's wakeup, the atomics (flags and stats) and the histograms (atomic
// buckets).
#include "stages/http_sink/http_sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "stages/http_sink/http_sender_impl.h"
#include "stages/http_sink/plain_transport.h"

namespace sluice::stages {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kDefaultUploadBuffer = 64u << 10;  // libcurl's default upload buffer
constexpr size_t kMaxUploadBuffer = 1u << 20;       // 1 MiB per handle at most (curl allows 2 MiB)

std::once_flag g_curl_init_once;  // curl_global_init must run once per process, before threads

}  // namespace

void HttpSender::Impl::Run() {
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
      const Status unavailable =
          availability.Tick(Clock::now(), data_in_flight > 0 || !ready.empty() || !timers.empty(), SinkName());
      if (!unavailable.ok()) Fatal(unavailable);
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

void HttpSender::Impl::DrainSubmissions() {
  Submission s;
  while (submissions.try_dequeue(s)) {
    if (fatal || !s.batch || s.batch->records.empty()) continue;
    auto job = std::make_unique<Job>();
    job->batch = std::move(s.batch);
    job->intended = s.intended;
    ready.push_back(std::move(job));
  }
}

void HttpSender::Impl::ProcessCompletions() {
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

void HttpSender::Impl::ProcessPlainFinished() {
  if (!plain || !plain->HasFinished()) return;
  plain->TakeFinished(plain_finished);
  for (PlainHttpFinished& f : plain_finished) {
    const RequestOutcome o = PlainRequestOutcome(f);
    OnDataDone(static_cast<Transfer*>(f.tag), o);
  }
}

Clock::time_point HttpSender::Impl::Dispatch(Clock::time_point now) {
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

void HttpSender::Impl::StartRequest(std::unique_ptr<Job> job, size_t endpoint, Clock::time_point now) {
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

void HttpSender::Impl::StartPlainRequest(std::unique_ptr<Job> job, size_t endpoint, Clock::time_point now) {
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

void HttpSender::Impl::OnTokenDone(Transfer* t, CURLcode rc) {
  Status error;
  switch (token.OnDone(t, rc, Clock::now(), &error)) {
    case TokenFetcher::Outcome::kRetryLater: break;
    case TokenFetcher::Outcome::kFatal: Fatal(error); break;
    case TokenFetcher::Outcome::kFetched:
      redactor.AddToken(token.token());
      data_headers = MakeHeaderList(static_headers, "Authorization: Bearer " + token.token());
      auth_refreshes.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  FinishTransfer(t);
}

void HttpSender::Impl::Fatal(const Status& status) {
  if (fatal) return;
  fatal = true;
  ready.clear();
  timers.clear();
  listener->OnFatal(Status(status.code(), Redact(status.message())));
}

std::string HttpSender::Impl::SinkName() const {
  std::string name = endpoints[0].url_for_messages;
  if (endpoints.size() > 1) name += " (and " + std::to_string(endpoints.size() - 1) + " more --sink-url)";
  return name;
}

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
  impl_->submissions.enqueue(Impl::Submission{std::move(batch), intended_send_at});
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