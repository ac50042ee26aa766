// File: stages/sink_formats/ndjson_format.h
// NdjsonFraming: the body framing of one JSON value per line (application/x-ndjson), shared by
// the formats whose sinks read it: NdjsonFormat and ClickHouseFormat (JSONEachRow). They
// differ only in how they judge answers.
// NdjsonFormat: that framing for generic HTTP collectors (Vector, Logstash, Loki-style
// gateways). Standard response rules, no per-record errors.
// Thread-safety: immutable after construction; all methods const.
#pragma once

#include "engine/sink_format.h"
#include "stages/sink_formats/response_classifier.h"

namespace sluice::stages {

/// One value per line: no opening or closing bytes, a '\n' after each value.
class NdjsonFraming : public SinkFormat {
 public:
  std::string_view ContentType() const override { return "application/x-ndjson"; }
  void Open(std::string&) const override {}
  uint32_t Append(std::string& payload, std::string_view value, bool first) const override;
  void Close(std::string&) const override {}
  size_t PerRecordOverheadBytes() const override { return 1; }
};

class NdjsonFormat final : public NdjsonFraming {
 public:
  explicit NdjsonFormat(RetryOverrides overrides = {}) : overrides_(std::move(overrides)) {}
  std::string_view Name() const override { return "ndjson"; }
  ResponseVerdict Judge(long http_status, std::string_view body, size_t record_count) const override;

 private:
  RetryOverrides overrides_;
};

}  // namespace sluice::stages
