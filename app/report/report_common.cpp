#include "app/report/report_common.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "app/version/version_info.h"
#include "engine/json_string.h"

namespace sluice::report {
namespace {

std::string Quoted(const std::string& s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string Num(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.3f", v);
  return buf;
}

/// Numbers and booleans unquoted, anything else as a JSON string.
std::string Scalar(const std::string& v) {
  if (v == "true" || v == "false") return v;
  bool number = !v.empty() && v.size() < 20;
  bool digit = false;
  for (size_t i = 0; i < v.size() && number; ++i) {
    const char c = v[i];
    if (c >= '0' && c <= '9')
      digit = true;
    else if (!(c == '-' && i == 0) && !(c == '.' && i > 0))
      number = false;
  }
  return number && digit && v.back() != '.' ? v : Quoted(v);
}

std::string SettingsJson(const Settings& settings) {
  std::string j = "{";
  bool first = true;
  for (const auto& [name, value] : settings) {
    j += first ? "" : ", ";
    first = false;
    j += Quoted(name) + ": ";
    if (value.list) {
      j += "[";
      for (size_t i = 0; i < value.values.size(); ++i) j += (i ? ", " : "") + Quoted(value.values[i]);
      j += "]";
    } else if (value.values.size() == 1) {
      j += Scalar(value.values.front());
    } else {
      j += "null";
    }
  }
  return j + "}";
}

}  // namespace

std::string Rfc3339Utc(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point{}) return "";
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int the format could print, so -Wformat-truncation stays quiet
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string CommonMembers(const ReportCommon& c) {
  const auto& l = c.request_latency_ms;
  const auto& r = c.retries;
  std::string j;
  j += "  \"sluice\": {\"version\": " + Quoted(cli::SluiceVersion()) + ", \"commit\": " + Quoted(cli::SluiceCommit()) +
       "},\n";
  j += "  \"started_at\": " + Quoted(Rfc3339Utc(c.started_at)) + ",\n";
  j += "  \"ended_at\": " + Quoted(Rfc3339Utc(c.ended_at)) + ",\n";
  j += "  \"request_latency_ms\": {\"count\": " + std::to_string(l.count) + ", \"p50\": " + Num(l.p50) +
       ", \"p90\": " + Num(l.p90) + ", \"p99\": " + Num(l.p99) + ", \"p999\": " + Num(l.p999) +
       ", \"max\": " + Num(l.max) + "},\n";
  j += "  \"retries\": {\"total\": " + std::to_string(r.total) + ", \"throttled\": " + std::to_string(r.throttled) +
       ", \"server\": " + std::to_string(r.server) + ", \"network\": " + std::to_string(r.network) + "},\n";
  j += "  \"errors\": {\"rejected_records\": " + std::to_string(c.rejected_records) +
       ", \"fatal\": " + (c.fatal ? "1" : "0") + "},\n";
  j += "  \"settings\": " + SettingsJson(c.settings) + ",\n";
  j += "  \"error\": " + Quoted(c.error);
  return j;
}

std::string WithCommonMembers(std::string own, const ReportCommon& common) {
  size_t close = own.find_last_of('}');
  if (close == std::string::npos) return own;
  size_t end = close;  // strip whitespace before the closing brace
  while (end > 0 && (own[end - 1] == '\n' || own[end - 1] == ' ')) --end;
  const bool empty_object = end > 0 && own[end - 1] == '{';
  own.erase(end);
  own += empty_object ? "\n" : ",\n";
  own += CommonMembers(common);
  own += "\n}\n";
  return own;
}

}  // namespace sluice::report
