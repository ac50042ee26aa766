// File: tests/testing/run_report.h
// The run report (`sluice run --report FILE`: engine/run_summary.cpp writes the run's own
// members, app/report/report_common.cpp the ones bench shares; docs/configuration.md "Reports")
// as the process-level tests read it, parsed with simdjson:
//  - RunReport/ParseReport(): the fields the fault and integration suites assert on;
//  - ReportInt(): one top-level number of a report by name, for the fields RunReport leaves out.
// Used by tests/faults, tests/integration and tests/memory (through their env files).
// Thread-safety: plain functions over their arguments.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::testing {

/// What the tests read from `sluice run --report FILE`.
struct RunReport {
  bool parsed = false;  ///< false when the text is not a report (missing file, bad JSON, a field absent)
  bool ok = false;
  int64_t consumed = 0, delivered = 0, dead_lettered = 0, requests = 0;
  int64_t retries_total = 0, retries_throttled = 0, retries_server = 0, retries_network = 0;
  int64_t auth_refreshes = 0, splits = 0;
  std::string error;
};
RunReport ParseReport(const std::string& json);

/// The top-level field `name` of a report: integers as they are, a fractional number (e.g.
/// peak_rss_mib) truncated toward zero; -1 when the text is not JSON or the field is absent or
/// not a number.
int64_t ReportInt(const std::string& json, const std::string& name);

}  // namespace sluice::testing
