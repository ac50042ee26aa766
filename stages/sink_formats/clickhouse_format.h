// File: stages/sink_formats/clickhouse_format.h
// ClickHouseFormat: INSERT over ClickHouse's HTTP interface. Body is JSONEachRow (one object
// per line); the request URL carries the INSERT query (RequestUrlSuffix()). ClickHouse answers
// errors with a plain-text body "Code: NN. DB::Exception: ...", and (before 23.x) with HTTP 500
// for most client errors too, so Judge() reads the exception code rather than the status alone.
// The body's framing is NdjsonFraming (ndjson_format.h).
// Thread-safety: immutable after construction; all methods const.
#pragma once

#include <string>

#include "engine/sink_format.h"
#include "stages/sink_formats/ndjson_format.h"
#include "stages/sink_formats/response_classifier.h"

namespace sluice::stages {

class ClickHouseFormat final : public NdjsonFraming {
 public:
  ClickHouseFormat(std::string table, RetryOverrides overrides = {})
      : table_(std::move(table)), overrides_(std::move(overrides)) {}
  std::string_view Name() const override { return "clickhouse"; }
  /// Exception codes that name bad input (parse errors, type mismatch, unknown field) ->
  /// kRejectedRequest whatever the status (the sender then isolates the bad rows); codes that
  /// name a configuration problem (unknown table/database, syntax, auth, readonly) -> kFatal;
  /// anything else -> the standard rules (so 500 + e.g. MEMORY_LIMIT_EXCEEDED/TOO_MANY_PARTS is
  /// retried). The reason is ClickHouse's error text.
  ResponseVerdict Judge(long http_status, std::string_view body, size_t record_count) const override;

  /// "?query=INSERT%20INTO%20<table>%20FORMAT%20JSONEachRow" (table percent-encoded) to append
  /// to the endpoint URL.
  std::string RequestUrlSuffix() const;

  /// Parses "Code: NN." at the start of a ClickHouse error body; -1 when absent.
  static int ExceptionCode(std::string_view body);

 private:
  std::string table_;
  RetryOverrides overrides_;
};

}  // namespace sluice::stages
