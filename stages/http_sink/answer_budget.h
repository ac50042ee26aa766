// File: stages/http_sink/answer_budget.h
// How many bytes of the sink's answers HttpSender may hold: a cap per answer that grows with
// the request (a per-record error list must fit whole; an answer cut short could read as "no
// failures") and an AnswerBudget for all answers held at once (answers of 1,000 requests in
// flight must not escape the memory budget). Both clients (PlainHttpClient and the libcurl
// write callback) ask the budget before they keep another chunk of an answer; an answer that
// passes its own cap or the total is aborted and reported incomplete, never read as partial.
// Thread-safety: none; the sender's loop thread owns the budget.
#pragma once

#include <cstddef>

namespace sluice::stages {

/// Smallest per-answer cap (also the cap of answers to requests of few records).
inline constexpr size_t kMinAnswerCapBytes = size_t{1} << 20;
/// Allowance per record sent: room for a generous per-record error message.
inline constexpr size_t kAnswerBytesPerRecord = size_t{8} << 10;
/// Hard ceiling of one answer, whatever the request carried.
inline constexpr size_t kMaxAnswerCapBytes = size_t{64} << 20;

/// The cap of one answer to a request of `records` records:
/// min(kMaxAnswerCapBytes, max(kMinAnswerCapBytes, records x kAnswerBytesPerRecord)).
[[nodiscard]] size_t AnswerCapForRecords(size_t records);

/// Why an answer stopped being read before its end.
enum class AnswerOverflow {
  kNone,        ///< read whole (or not stopped by a cap)
  kOverCap,     ///< longer than its own cap: the answer cannot be understood
  kOverBudget,  ///< the answers held at once would pass the total: not the sink's fault, resend later
};

/// Total bytes of answers held at once.
class AnswerBudget {
 public:
  /// `total_bytes` 0 = no total (each answer is still held to its own cap).
  explicit AnswerBudget(size_t total_bytes = 0) : total_(total_bytes) {}

  /// May an answer that holds `held_by_answer` bytes (already counted here) keep `more`?
  /// Counts them when it may. One answer is always allowed to grow while it is the only one
  /// holding bytes, so an answer larger than the total still completes (the run cannot stall).
  [[nodiscard]] bool TryGrow(size_t held_by_answer, size_t more) {
    if (total_ != 0 && held_ + more > total_ && held_by_answer != held_) return false;
    held_ += more;
    if (held_ > peak_) peak_ = held_;
    return true;
  }
  /// An answer that held `bytes` is done with them.
  void Release(size_t bytes) { held_ = bytes > held_ ? 0 : held_ - bytes; }

  [[nodiscard]] size_t Held() const { return held_; }
  [[nodiscard]] size_t Peak() const { return peak_; }
  [[nodiscard]] size_t Total() const { return total_; }

 private:
  size_t total_ = 0;
  size_t held_ = 0;
  size_t peak_ = 0;
};

}  // namespace sluice::stages
