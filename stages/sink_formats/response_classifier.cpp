#include "stages/sink_formats/response_classifier.h"

#include <simdjson.h>

namespace sluice::stages {

bool IsThrottlingCode(std::string_view code) {
  return code == "ResourceThroughputExceeded" || code == "ThrottlingException" ||
         code == "Throttling" || code == "TooManyRequestsException" ||
         code == "RequestLimitExceeded" || code == "ProvisionedThroughputExceededException" ||
         code == "SlowDown";
}

ResponseClass ClassifyHttpStatus(long http_status, std::string_view error_code,
                                 const RetryOverrides& overrides) {
  const int status = static_cast<int>(http_status);
  if (overrides.retry_on.count(status) != 0) return ResponseClass::kRetry;
  ResponseClass cls;
  if (status >= 200 && status < 300) {
    cls = ResponseClass::kAccepted;
  } else if (status == 400) {
    cls = IsThrottlingCode(error_code) ? ResponseClass::kRetry : ResponseClass::kRejectedRequest;
  } else if (status == 401) {
    cls = ResponseClass::kRefreshAuth;
  } else if (status == 413) {
    cls = ResponseClass::kTooLarge;
  } else if (status == 408 || status == 429 || (status >= 500 && status < 600 && status != 501)) {
    cls = ResponseClass::kRetry;
  } else {
    // 403, 404, 405, 409, 501, redirects (we never follow them): configuration errors that no
    // amount of retrying fixes.
    cls = ResponseClass::kFatal;
  }
  if (cls == ResponseClass::kRetry && overrides.no_retry_on.count(status) != 0) {
    cls = ResponseClass::kFatal;
  }
  return cls;
}

std::string ExtractJsonErrorCode(std::string_view body) {
  if (body.empty() || body.size() > (1u << 20)) return {};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return {};
  std::string_view code;
  if (doc["code"].get_string().get(code) == simdjson::SUCCESS) return std::string(code);
  if (doc["error"]["code"].get_string().get(code) == simdjson::SUCCESS) return std::string(code);
  if (doc["__type"].get_string().get(code) == simdjson::SUCCESS) return std::string(code);
  return {};
}

ResponseVerdict StandardJudge(long http_status, std::string_view body,
                              const RetryOverrides& overrides) {
  ResponseVerdict v;
  std::string code;
  if (http_status == 400) code = ExtractJsonErrorCode(body);
  v.cls = ClassifyHttpStatus(http_status, code, overrides);
  if (v.cls != ResponseClass::kAccepted) {
    v.reason = "HTTP " + std::to_string(http_status);
    std::string snippet = BodySnippet(body);
    if (!snippet.empty()) v.reason += ": " + snippet;
  }
  return v;
}

}  // namespace sluice::stages
