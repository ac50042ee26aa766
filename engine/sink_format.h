// File: engine/sink_format.h
// SinkFormat: how a sink target frames records in a request body, which headers it needs and
// how it judges a response. The batch assembler uses the framing, the sender uses the rest;
// implementations live in stages/sink_formats/ (featurebase, clickhouse, ndjson, json-array).
// Thread-safety: implementations are immutable after construction; all methods are const and
// may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// A record the sink refused inside an otherwise accepted request.
struct RejectedIndex {
  uint32_t index = 0;   ///< position of the record in the request
  std::string reason;   ///< the sink's words
};

/// What a response means for the batch that got it. Only the sender acts on it.
enum class ResponseClass : uint8_t {
  kAccepted,         ///< every record stored, except those listed in `rejected`
  kRetry,            ///< transient (408, 429, 5xx, throttling code); back off and resend
  kRefreshAuth,      ///< 401: fetch a new token once, then resend
  kTooLarge,         ///< 413: split in halves and resend; lower the batch cap
  kRejectedRequest,  ///< 400 naming bad input as a whole: split to isolate the bad records
  kFatal,            ///< any other 4xx: configuration error; stop and commit nothing past it
  kNotUnderstood,    ///< a 2xx answer that was not read whole, or that does not say every record
                     ///< was stored or named as failed: acknowledges nothing; resend the batch
                     ///< (the sender stops the run after a few such answers in a row)
};

/// With kRetry: what the answer says about the sink's load. The sender counts the retry by it
/// (throttled or server) and shrinks the adaptive concurrency limit unless it is kNone.
enum class RetryPressure : uint8_t {
  kNone,        ///< transient, says nothing about load (500, 502, a retry_on status)
  kOverloaded,  ///< 503, 504, 408: the sink is falling behind
  kThrottled,   ///< 429, a 400 (a throttling code), or any answer carrying Retry-After
};

/// The one rule for RetryPressure, applied by SinkFormat::JudgeAnswer to every kRetry verdict.
/// `retry_after`: the answer carried a usable Retry-After header.
[[nodiscard]] inline RetryPressure RetryPressureFor(long http_status, bool retry_after) {
  if (http_status == 429 || http_status == 400 || retry_after) return RetryPressure::kThrottled;
  if (http_status == 503 || http_status == 504 || http_status == 408) return RetryPressure::kOverloaded;
  return RetryPressure::kNone;
}

struct ResponseVerdict {
  ResponseClass cls = ResponseClass::kAccepted;
  RetryPressure pressure = RetryPressure::kNone;  ///< with kRetry (set by JudgeAnswer)
  std::vector<RejectedIndex> rejected;  ///< with kAccepted: per-record failures
  std::string reason;                   ///< short text for logs/dead letters (no secrets)
};

class SinkFormat {
 public:
  virtual ~SinkFormat() = default;
  /// Short name ("featurebase").
  virtual std::string_view Name() const = 0;
  /// Content-Type header value.
  virtual std::string_view ContentType() const = 0;
  /// Writes the body's opening bytes into an empty payload.
  virtual void Open(std::string& payload) const = 0;
  /// Appends one record. `value` is a complete JSON value; `first` is true for the first one.
  /// Returns the byte offset of `value` inside payload (so it can be re-framed on a split).
  virtual uint32_t Append(std::string& payload, std::string_view value, bool first) const = 0;
  /// Writes the closing bytes.
  virtual void Close(std::string& payload) const = 0;
  /// Framing bytes added per record besides the value itself (for byte caps).
  virtual size_t PerRecordOverheadBytes() const = 0;
  /// Judges a response to a request that carried `record_count` records. `body` is the whole
  /// answer (the sender calls this through JudgeAnswer, which handles incomplete ones).
  virtual ResponseVerdict Judge(long http_status, std::string_view body, size_t record_count) const = 0;

  /// The sender's entry point. `complete` is false when the answer was cut short (the
  /// connection ended early, or it passed its size cap): a 2xx answer then acknowledges
  /// nothing (kNotUnderstood), since a failure list read in part would read as "no failures";
  /// any other status is judged by its status and the part that arrived. `retry_after`: the
  /// answer carried a usable Retry-After header; with a kRetry verdict it sets `pressure`
  /// (RetryPressureFor), so the sender acts on the verdict alone.
  ResponseVerdict JudgeAnswer(long http_status, std::string_view body, size_t record_count,
                              bool complete, bool retry_after = false) const {
    if (!complete && http_status >= 200 && http_status < 300) {
      ResponseVerdict v;
      v.cls = ResponseClass::kNotUnderstood;
      v.reason = "HTTP " + std::to_string(http_status) + " answer was not read whole (" +
                 std::to_string(body.size()) + " bytes arrived)";
      return v;
    }
    ResponseVerdict v = Judge(http_status, body, record_count);
    if (v.cls == ResponseClass::kRetry) v.pressure = RetryPressureFor(http_status, retry_after);
    return v;
  }
};

}  // namespace sluice
