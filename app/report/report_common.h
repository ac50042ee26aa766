// File: app/report/report_common.h
// The part of the JSON reports that `sluice run --report` and `sluice bench --report` share,
// written by one function so both say the same thing the same way:
//
//   "sluice": {"version": "0.1.0", "commit": "0123456789ab"},
//   "started_at": "2026-12-06T23:25:31.123Z", "ended_at": "...",      (UTC, RFC 3339)
//   "request_latency_ms": {"count": N, "p50": .., "p90": .., "p99": .., "p999": .., "max": ..},
//   "retries": {"total": N, "throttled": N, "server": N, "network": N},
//   "errors": {"rejected_records": N, "fatal": 0|1},
//   "settings": {"batch-size": 500, "sink-url": ["..."], ..., "secrets": {...}},
//   "error": ""                                                       (why the run failed)
//
// Each command renders its own members as a JSON object and WithCommonMembers() appends these
// to it. The settings arrive already redacted (app/pipeline_setup/effective_settings.h).
// Documented in docs/configuration.md ("Reports"). Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice::report {

/// A setting as the report shows it: a scalar (number, true/false, or a string) or a list.
struct SettingValue {
  std::vector<std::string> values;  ///< one for a scalar
  bool list = false;
};
using Settings = std::vector<std::pair<std::string, SettingValue>>;

struct ReportCommon {
  std::chrono::system_clock::time_point started_at{};
  std::chrono::system_clock::time_point ended_at{};
  struct Latency {
    uint64_t count = 0;
    double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;  ///< ms
  } request_latency_ms;
  struct Retries {
    uint64_t total = 0, throttled = 0, server = 0, network = 0;
  } retries;
  uint64_t rejected_records = 0;
  bool fatal = false;
  std::string error;  ///< empty on success
  Settings settings;
};

/// "2026-12-06T23:25:31.123Z".
std::string Rfc3339Utc(std::chrono::system_clock::time_point t);

/// The shared members, one per line, indented two spaces, comma-separated, no trailing comma.
std::string CommonMembers(const ReportCommon& common);

/// `own` (a JSON object ending in "}" and optional whitespace) with the shared members added
/// after its last member.
std::string WithCommonMembers(std::string own, const ReportCommon& common);

}  // namespace sluice::report
