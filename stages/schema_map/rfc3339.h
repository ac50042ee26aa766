// File: stages/schema_map/rfc3339.h
// Strict RFC 3339 date-time check for timestamp columns:
//   YYYY-MM-DD"T"hh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)   ('t' and 'z' allowed, per RFC 3339 5.6)
// with real calendar ranges (leap years), seconds 00..59 (no leap second: ClickHouse and
// FeatureBase reject :60) and 1..9 fraction digits. Thread-safety: pure function.
#pragma once

#include <string_view>

namespace sluice::stages {

[[nodiscard]] bool IsRfc3339Timestamp(std::string_view text);

}  // namespace sluice::stages
