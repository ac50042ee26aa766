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
inline constexpr size_t kMinAnswerCapBytes = size_t{4} << 20;
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

/// Total bytes of answers held at once, and a dispatch gate that keeps the requests in flight
/// from all answering at once with more than the total: aborting answers alone would resend
/// the same batches over and over while every answer starts to arrive together.
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

  /// A complete answer of `bytes`: feeds the expected answer size (it rises at once to a
  /// larger answer and decays by 1/16 per smaller one, so a run of large error lists or slow
  /// padded answers keeps few requests in flight until the answers shrink again).
  void ObserveAnswer(size_t bytes) {
    expected_ = bytes >= expected_ ? bytes : expected_ - (expected_ - bytes) / 16;
  }
  /// An answer was aborted over the total while `in_flight` requests were out: their answers
  /// are at least total / in_flight each on average, so no more go out until fewer are.
  void ObserveOverflow(int in_flight) {
    if (total_ == 0) return;
    const size_t share = total_ / static_cast<size_t>(in_flight > 0 ? in_flight : 1);
    if (share > expected_) expected_ = share;
  }
  /// May one more request go out while `in_flight` are out? Always when none is; otherwise
  /// when all their answers, at the expected size, fit the total.
  [[nodiscard]] bool RoomForRequest(int in_flight) const {
    if (total_ == 0 || in_flight <= 0) return true;
    return (static_cast<size_t>(in_flight) + 1) * expected_ <= total_;
  }

  [[nodiscard]] size_t Held() const { return held_; }
  [[nodiscard]] size_t ExpectedAnswerBytes() const { return expected_; }
  [[nodiscard]] size_t Peak() const { return peak_; }
  [[nodiscard]] size_t Total() const { return total_; }

 private:
  size_t total_ = 0;
  size_t held_ = 0;
  size_t peak_ = 0;
  size_t expected_ = 0;
};

/// The one admission rule both clients apply before keeping `more` bytes of an answer that
/// already kept `kept` and counts `held` bytes in `budget` (may be null). `announced` is the
/// answer's Content-Length (0 when unknown): it is checked against `cap` and reserved whole on
/// the first chunk, so an answer that cannot fit is stopped before its body is read, and the
/// budget learns its size at once (its dispatch gate then holds back further requests).
/// Returns kNone and updates `held`, or why the answer must be aborted.
[[nodiscard]] AnswerOverflow AdmitAnswerBytes(AnswerBudget* budget, size_t cap, size_t kept, size_t more,
                                              size_t announced, size_t& held);

}  // namespace sluice::stages
