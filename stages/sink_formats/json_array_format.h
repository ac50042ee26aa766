// File: stages/sink_formats/json_array_format.h
// JsonArrayFormat: the body is one JSON array of the values, [V,V] (application/json), for
// generic HTTP endpoints. Standard response rules, no per-record errors.
// Thread-safety: immutable after construction; all methods const.
#pragma once

#include "engine/sink_format.h"
#include "stages/sink_formats/response_classifier.h"

namespace sluice::stages {

class JsonArrayFormat final : public SinkFormat {
 public:
  explicit JsonArrayFormat(RetryOverrides overrides = {}) : overrides_(std::move(overrides)) {}
  std::string_view Name() const override { return "json-array"; }
  std::string_view ContentType() const override { return "application/json"; }
  void Open(std::string& payload) const override { payload.push_back('['); }
  uint32_t Append(std::string& payload, std::string_view value, bool first) const override;
  void Close(std::string& payload) const override { payload.push_back(']'); }
  size_t PerRecordOverheadBytes() const override { return 1; }
  ResponseVerdict Judge(long http_status, std::string_view body, size_t record_count) const override;

 private:
  RetryOverrides overrides_;
};

}  // namespace sluice::stages
