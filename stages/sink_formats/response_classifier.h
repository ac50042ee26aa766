// File: stages/sink_formats/response_classifier.h
// The ONE place where an HTTP status (plus, for 400s, a JSON error `code`) becomes a
// ResponseClass. Every SinkFormat's Judge() starts here, so the retry rules and the user's
// --retry-on/--no-retry-on overrides apply the same way to every sink target.
// What a kRetry says about load (RetryPressure: throttled, overloaded or neither) is decided
// once, by RetryPressureFor in engine/sink_format.h, which SinkFormat::JudgeAnswer applies to
// every format's kRetry: it also needs the Retry-After header, which only the sender sees.
// Thread-safety: pure functions over immutable inputs.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "engine/message_text.h"  // BodySnippet, for reasons quoting an answer
#include "engine/sink_format.h"

namespace sluice::stages {

/// The user's overrides of the default retry rules (see SinkFormatConfig).
struct RetryOverrides {
  std::set<int> retry_on;     ///< always kRetry
  std::set<int> no_retry_on;  ///< would-be kRetry becomes kFatal
};

/// True for JSON error codes that mean "slow down" (FeatureBase answers throttling with a 400
/// and code ResourceThroughputExceeded; AWS-style gateways use the other names).
[[nodiscard]] bool IsThrottlingCode(std::string_view code);

/// Default rules, in order: retry_on -> kRetry; 2xx -> kAccepted; 400 with a throttling code
/// -> kRetry; 400 -> kRejectedRequest; 401 -> kRefreshAuth; 413 -> kTooLarge; 408, 429 and
/// 5xx except 501 -> kRetry; anything else (other 4xx, 501, 1xx, 3xx) -> kFatal. Then a kRetry
/// whose status is in no_retry_on becomes kFatal.
/// `error_code` is the JSON `code` of an error body ("" when none).
[[nodiscard]] ResponseClass ClassifyHttpStatus(long http_status, std::string_view error_code,
                                               const RetryOverrides& overrides);

/// Reads the top-level string `code` (or `error.code`) of a JSON error body; "" if there is none.
/// Lenient: never fails, malformed bodies give "".
[[nodiscard]] std::string ExtractJsonErrorCode(std::string_view body);

/// The standard Judge(): classification only, reason "HTTP <status>: <snippet>".
[[nodiscard]] ResponseVerdict StandardJudge(long http_status, std::string_view body,
                                            const RetryOverrides& overrides);

}  // namespace sluice::stages
