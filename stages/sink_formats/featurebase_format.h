// File: stages/sink_formats/featurebase_format.h
// FeatureBaseFormat: FeatureBase Cloud ingest endpoint framing, body
// {"records":[{"value":V},{"value":V}]}, and its response rules: 2xx with per-record errors
// listed by index, 400 + code ResourceThroughputExceeded = throttled (retry).
// Thread-safety: immutable after construction; all methods const.
#pragma once

#include "engine/sink_format.h"
#include "stages/sink_formats/response_classifier.h"

namespace sluice::stages {

class FeatureBaseFormat final : public SinkFormat {
 public:
  explicit FeatureBaseFormat(RetryOverrides overrides = {}) : overrides_(std::move(overrides)) {}
  std::string_view Name() const override { return "featurebase"; }
  std::string_view ContentType() const override { return "application/json"; }
  void Open(std::string& payload) const override;
  uint32_t Append(std::string& payload, std::string_view value, bool first) const override;
  void Close(std::string& payload) const override;
  size_t PerRecordOverheadBytes() const override;
  /// 2xx: accepted when the answer accounts for every record; records named in the body's
  /// `errors` ([{"index":i,"message":..}], lenient about the reason's key: message/error/reason)
  /// are listed in `rejected`. kNotUnderstood when the body is not a JSON object, says
  /// "success":false, or gives `records_stored` + named failures < records sent (an empty body
  /// is accepted). The README's delivery-guarantee section has the table. Other statuses:
  /// ClassifyHttpStatus() with the body's JSON `code`.
  ResponseVerdict Judge(long http_status, std::string_view body, size_t record_count) const override;

 private:
  RetryOverrides overrides_;
};

}  // namespace sluice::stages
