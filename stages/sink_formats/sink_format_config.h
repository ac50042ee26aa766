// File: stages/sink_formats/sink_format_config.h
// SinkFormatConfig: which body framing and response rules the sink uses (--format), plus the
// user's overrides of which HTTP statuses are retried. Filled by the app (app/), read once by
// MakeSinkFormat(). Thread-safety: plain value.
#pragma once

#include <set>
#include <string>

#include "engine/status.h"

namespace sluice::stages {

struct SinkFormatConfig {
  /// Format name: "featurebase", "clickhouse", "ndjson" or "json-array". Default featurebase.
  std::string name = "featurebase";
  /// ClickHouse only: target table ("db.table" allowed), put into the INSERT query. Required
  /// for clickhouse, ignored otherwise.
  std::string clickhouse_table;
  /// HTTP statuses always retried with backoff (--retry-on), whatever the default rule says.
  std::set<int> retry_on;
  /// HTTP statuses never retried (--no-retry-on): a status that would be retried becomes fatal
  /// instead (stop the run, commit nothing past it) so no data is silently dropped.
  std::set<int> no_retry_on;
};

/// Checks the name, the ClickHouse table and that no status is in both override sets.
[[nodiscard]] Status Validate(const SinkFormatConfig& config);

}  // namespace sluice::stages
