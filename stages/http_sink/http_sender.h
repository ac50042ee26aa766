// File: stages/http_sink/http_sender.h
// HttpSender: the engine's BatchSender over HTTP. One dedicated thread runs an epoll loop
// (Submit() enqueues into a lock-free queue and wakes it through an eventfd) that drives two
// clients: PlainHttpClient for plain http:// endpoints (one sendmsg per request from the
// batch's buffer) and libcurl's multi interface (curl_multi_socket_action) for https, HTTP/2,
// proxies, basic auth and the token request; HttpSinkConfig::transport picks. Per response it asks the SinkFormat
// for a verdict and acts on it: report delivered/rejected records, retry with capped
// full-jitter backoff (timers live in the loop, never a sleep; retry_schedule.h), honour a
// capped Retry-After per endpoint, route around unhealthy endpoints (endpoint_health.h),
// refresh a FeatureBase token once for all waiting requests, split on 413 /
// whole-request 400 to isolate bad records (413s as body_size_limit.h decides), or stop on a
// fatal answer. Answers are read whole or not at all (answer_budget.h: a cap per answer that
// grows with the request, a total for all answers held at once); an incomplete or not
// understood 2xx acknowledges nothing and is resent, and the run stops after a few in a row.
// Every text from the sink passes SecretRedactor. Easy handles are pooled
// and configured once (per request only the body is set), so connections stay alive. With
// adaptive_concurrency the in-flight limit is a ConcurrencyController (AIMD on RTT and
// push-back answers).
// Thread-safety: Submit/SubmitAt/Stats/MaxBatchBytesHint from any thread; Start once; Stop may
// be called again (e.g. Stop(true) from another thread to cut a Stop(false) drain short).
// The DeliveryListener is called on the sender thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "engine/batch.h"
#include "engine/batch_sender.h"
#include "engine/sink_format.h"
#include "engine/status.h"
#include "stages/http_sink/http_sink_config.h"
#include "engine/latency_histogram.h"

namespace sluice::stages {

class HttpSender final : public BatchSender {
 public:
  /// Validates `config` and prepares the curl multi handle (no I/O, no thread yet). `format`
  /// frames split batches and judges responses; it is shared with the batch assembler.
  [[nodiscard]] static StatusOr<std::unique_ptr<HttpSender>> Create(
      const HttpSinkConfig& config, std::shared_ptr<const SinkFormat> format);
  ~HttpSender() override;  ///< Stop(true) if still running.

  /// Starts the sender thread. `listener` must outlive the sender. FailedPrecondition if
  /// already started.
  [[nodiscard]] Status Start(DeliveryListener* listener) override;
  /// Hands over a batch (never blocks). Ignored after Stop().
  void Submit(std::unique_ptr<Batch> batch) override;
  /// Open-loop variant for `sluice bench`: like Submit, and OpenLoopLatency() records the time
  /// from `intended_send_at` to the batch's final outcome (avoids coordinated omission).
  void SubmitAt(std::unique_ptr<Batch> batch, Batch::Clock::time_point intended_send_at);
  void Stop(bool abandon) override;
  SenderStats Stats() const override;

  /// Optional, before Start(): a batch whose every record was reported (delivered or rejected)
  /// goes to `recycler` on the sender thread instead of being destroyed, so its owner can reuse
  /// the buffers (`sluice bench` replays prebuilt bodies without copying them). The recycler may
  /// call Submit(); it must not block.
  void SetBatchRecycler(std::function<void(std::unique_ptr<Batch>)> recycler);

  /// Largest body size the sink is known to accept: starts at SIZE_MAX, drops to half the size
  /// of a request answered 413 that was larger than any accepted one, and rises again after
  /// runs of accepted requests (body_size_limit.h). The batch assembler keeps batches below it.
  [[nodiscard]] size_t MaxBatchBytesHint() const override;
  /// Requests allowed in flight now: the fixed `concurrency`, or with adaptive_concurrency the
  /// AIMD limit (starts at min_concurrency). Any thread; a relaxed snapshot.
  [[nodiscard]] int CurrentConcurrencyLimit() const;
  /// Latency of every HTTP request (send to answer), in us.
  [[nodiscard]] const LatencyHistogram& RequestLatency() const;
  /// Intended-send-time to final outcome, only for batches given through SubmitAt(), in us.
  [[nodiscard]] const LatencyHistogram& OpenLoopLatency() const;
  /// Data requests by the HTTP status of their answer, ascending; status 0 = no answer.
  /// Any thread (status_counts.h).
  [[nodiscard]] std::vector<std::pair<int, uint64_t>> RequestsByStatus() const;
  /// False while the latest data request got no answer, a 5xx, 408 or 429. Any thread.
  [[nodiscard]] bool SinkDelivering() const;
  /// Empties both latency histograms (a benchmark's warm-up ends). Any thread.
  void ResetLatency();

  struct Impl;  // curl and the loop's state stay out of this header

 private:
  explicit HttpSender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::stages
