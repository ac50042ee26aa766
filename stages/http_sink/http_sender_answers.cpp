// File: stages/http_sink/http_sender_answers.cpp
// What each answer does to its batch: HttpSender::Impl::OnDataDone takes the SinkFormat's
// verdict (or the transport's failure) and delivers, rejects, retries (with the pause and the
// rate-limited warning), splits, isolates, refreshes the token or stops the run; plus the
// helpers only that path uses (sub-jobs, outcome reports, redaction of the sink's words,
// messages). Called by the loop in http_sender.cpp when a libcurl or plain-client request ends.
// Thread-safety: the sender thread only (http_sender_impl.h).
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/log.h"
#include "stages/http_sink/batch_outcomes.h"
#include "stages/http_sink/http_sender_impl.h"

namespace sluice::stages {
namespace {

// Answers in a row for the same batch that acknowledge nothing because they could not be read
// whole or understood (kNotUnderstood) before the run stops: a sink that keeps answering so is
// broken or misconfigured, and resending forever would hide it.
constexpr int kMaxNotUnderstoodInARow = 3;

StatusCode CodeForHttpStatus(long status) {
  switch (status) {
    case 401: return StatusCode::kUnauthenticated;
    case 403: return StatusCode::kPermissionDenied;
    case 404: return StatusCode::kNotFound;
    case 413: return StatusCode::kResourceExhausted;
    default: return StatusCode::kFailedPrecondition;
  }
}

}  // namespace

void HttpSender::Impl::OnDataDone(Transfer* t, const RequestOutcome& outcome) {
  const int in_flight_before = data_in_flight;
  --data_in_flight;
  in_flight.store(static_cast<uint64_t>(data_in_flight), std::memory_order_relaxed);
  requests.fetch_add(1, std::memory_order_relaxed);
  status_counts.Record(outcome.answered, outcome.status);
  const Clock::time_point now = Clock::now();
  request_latency.Record(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - t->started).count()));
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
      endpoints.NoteHealth(
          t->endpoint, endpoints[t->endpoint].health.OnFailure(
                           outcome.timed_out ? EndpointHealth::Failure::kTimeout : EndpointHealth::Failure::kConnection,
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
      const std::string what =
          "answer of " + std::to_string(t->response.size()) + " bytes could not be understood: " + v.reason;
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
        Fatal(Unauthenticated(
            "POST " + url + " answered HTTP 401 and the credentials cannot be refreshed: " + BodySnippet(t->response)));
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
        case BodySizeLimit::TooLarge::kSplit: Split(std::move(job)); break;
        case BodySizeLimit::TooLarge::kReject:
          RejectAll(*job, "record too large for the sink (HTTP 413 " +
                              std::to_string(job->too_large.too_large_answers) +
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
  // Every hand-off above gives the std::unique_ptr to a by-value parameter or to a container,
  // which leaves `job` null, and `job &&` tests exactly that before the dereference.
  // NOLINTNEXTLINE(bugprone-use-after-move): guarded; a moved-from unique_ptr is null.
  if (job && job->batch && batch_recycler && !fatal) batch_recycler(std::move(job->batch));
}

void HttpSender::Impl::ScheduleRetry(std::unique_ptr<Job> job, RetryKind kind, const Transfer& t,
                                     const std::string& why, long status) {
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

void HttpSender::Impl::WarnSinkTrouble(Clock::time_point now, const std::string& kind, const std::string& url,
                                       const std::string& why, Clock::time_point this_job_since) {
  Clock::time_point oldest = this_job_since;
  for (const auto& [at, waiting] : timers) {
    if (waiting->failing_since != Clock::time_point{} && waiting->failing_since < oldest) {
      oldest = waiting->failing_since;
    }
  }
  const std::string line = availability.Warn(now, kind, url, Redact(why), oldest);
  if (!line.empty()) Log(LogLevel::kWarn, "http_sink", line);
}

std::unique_ptr<Job> HttpSender::Impl::SubJob(const Job& parent, size_t begin, size_t end) {
  auto job = std::make_unique<Job>();
  job->batch = SubBatch(*format, *parent.batch, begin, end);
  job->intended = parent.intended;
  job->isolation = parent.isolation;
  return job;
}

void HttpSender::Impl::Split(std::unique_ptr<Job> job) {
  splits.fetch_add(1, std::memory_order_relaxed);
  const size_t n = job->batch->records.size();
  // Front of the queue: these records are older than anything still waiting.
  ready.push_front(SubJob(*job, n / 2, n));
  ready.push_front(SubJob(*job, 0, n / 2));
}

void HttpSender::Impl::RecordOutcome(const Job& job) {
  if (job.intended != Clock::time_point{}) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - job.intended).count();
    open_loop_latency.Record(us > 0 ? static_cast<uint64_t>(us) : 0);
  }
}

void HttpSender::Impl::RejectAll(const Job& job, const std::string& sink_reason) {
  const std::string reason = Redact(sink_reason);  // it quotes the sink: never a credential
  DeliveryReport report = RejectedReport(*job.batch, reason);
  RecordOutcome(job);
  listener->OnDelivery(std::move(report));
}

void HttpSender::Impl::Settle(IsolationGroup& group, IsolationGroup::Verdict verdict, const std::string& url) {
  if (verdict == IsolationGroup::Verdict::kConfigError) {
    Fatal(FailedPrecondition("POST " + url + ": " + group.Describe()));
  } else if (verdict == IsolationGroup::Verdict::kRelease) {
    for (DeliveryReport& r : group.TakeHeld()) listener->OnDelivery(std::move(r));
  }
}

void HttpSender::Impl::NoteOtherOutcome(const Job& job, const std::string& url) {
  if (job.isolation) Settle(*job.isolation, job.isolation->OnOtherOutcome(job.batch->records.size()), url);
}

void HttpSender::Impl::Deliver(const Job& job, const std::vector<RejectedIndex>& rejected, size_t wire_bytes) {
  // Per-record reasons were redacted by RedactVerdict.
  DeliveryReport report = AcceptedReport(*job.batch, rejected);
  bytes_sent.fetch_add(wire_bytes, std::memory_order_relaxed);
  RecordOutcome(job);
  listener->OnDelivery(std::move(report));
}

void HttpSender::Impl::RedactVerdict(ResponseVerdict& v) const {
  v.reason = Redact(v.reason);
  for (RejectedIndex& r : v.rejected) r.reason = Redact(r.reason);
}

std::string HttpSender::Impl::RedirectMessage(const std::string& url, long status, const std::string& location) const {
  std::string m = "POST " + url + ": redirects are not followed; the sink answered HTTP " + std::to_string(status);
  if (location.empty()) return m + " without a Location header";
  return m + " with Location: " + Redact(UrlForMessages(location)) + " - use that URL as --sink-url";
}

}  // namespace sluice::stages
