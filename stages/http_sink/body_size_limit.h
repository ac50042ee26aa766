// File: stages/http_sink/body_size_limit.h
// BodySizeLimit: what the sender has learnt about the largest request body the sink takes,
// from its 2xx and 413 answers. HttpSender asks it what to do with a 413 (retry, split, or
// dead-letter a single record) and publishes Hint() as max_batch_bytes_hint, which the
// pipeline hands to the batcher.
//
// Why it is more than "halve the cap on every 413": sinks answer 413 transiently too (a
// proxy's buffer is full, a limit is being reloaded). Taking every 413 at its word
// dead-lettered good records as "too large" and kept the batch cap low for the rest of a run.
// So:
//  - a body no larger than one the sink already accepted is not too large: the 413 is
//    transient and the request is retried as it is, with backoff (no lower cap; a request of
//    several records is split after kRejectAfter such answers, so it cannot loop forever);
//  - a larger body lowers the cap to half its size, and a multi-record request is split;
//  - a single record is dead-lettered only when it keeps getting 413 (kRejectAfter answers
//    while the sink accepted other requests in between, or kRejectAlways answers in all), so
//    a burst of 413s from a sink that takes everything afterwards rejects nothing;
//  - the cap recovers: after a run of accepted requests without a 413 it doubles, step by
//    step, until it no longer limits any body that was ever refused. A cap that meets a 413
//    again after being raised needs a run twice as long before the next step, so a sink with
//    a real limit is probed less and less often instead of every few requests.
// Thread-safety: one thread (the sender's) calls the mutators; Hint() is a relaxed atomic read
// from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace sluice::stages {

class BodySizeLimit {
 public:
  /// 413 answers to a single record, while the sink accepted others, before it is dead-lettered.
  static constexpr int kRejectAfter = 3;
  /// 413 answers to a single record before it is dead-lettered whatever else happened.
  static constexpr int kRejectAlways = 8;
  /// Accepted requests in a row (no 413 between) before the first raise of a lowered cap.
  static constexpr int kFirstRecoveryRun = 8;
  /// Longest run asked for between raises.
  static constexpr int kMaxRecoveryRun = 1024;
  static constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

  enum class TooLarge {
    kRetry,   ///< retry the request as it is, with backoff
    kSplit,   ///< split it in halves (more than one record)
    kReject,  ///< dead-letter the record: the sink will not take it
  };

  /// Per request (kept with the job across its retries).
  struct History {
    int too_large_answers = 0;    ///< 413s this request got
    uint64_t accepted_at_first = 0;  ///< accepted() when it got its first 413
  };

  /// A 2xx answer to a body of `bytes`.
  void OnAccepted(size_t bytes);
  /// A 413 answer to a body of `bytes` carrying `records` records; updates `history`.
  [[nodiscard]] TooLarge OnTooLarge(size_t bytes, size_t records, History& history);

  /// The cap the batcher should keep bodies under; kNoLimit when nothing is known.
  [[nodiscard]] size_t Hint() const { return hint_.load(std::memory_order_relaxed); }
  [[nodiscard]] size_t largest_accepted() const { return largest_accepted_; }
  [[nodiscard]] uint64_t accepted() const { return accepted_; }

 private:
  std::atomic<size_t> hint_{kNoLimit};
  size_t largest_accepted_ = 0;
  size_t largest_refused_ = 0;  ///< largest body answered 413 that was larger than any accepted
  uint64_t accepted_ = 0;
  int run_ = 0;                 ///< accepted requests since the last 413 or raise
  int recovery_run_ = kFirstRecoveryRun;
  bool raised_ = false;         ///< the cap was raised since it was last lowered
};

}  // namespace sluice::stages
