// File: engine/log.h
// The product's one logging facility. Every diagnostic line sluice prints (the engine, the
// stages, librdkafka's own log through the Kafka source, the commands in app/) goes through
// Log/Logf, so every line carries an RFC 3339 UTC timestamp and a level, honours --log-level,
// and comes out as text or as one JSON object per line (--log-format json, for log shippers):
//
//   text: 2026-12-06T23:30:01.234Z WARN  http_sink: sink http://h/ingest answered 429 ... key=value
//   json: {"ts":"2026-12-06T23:30:01.234Z","level":"warn","component":"http_sink","msg":"...","key":1}
//
// Results (reports, tables, DDL) are not logs: commands write them to stdout themselves.
//
// The status line: on a terminal the progress reporter keeps one refreshing line at the bottom
// of stderr (SetStatusLine). A log line written meanwhile erases it, prints itself and draws it
// again, all in the same write, so the two never garble each other.
//
// Why a process-wide facility (the style guide shuns globals): stderr is one per process, so
// the settings of how it is written (level, format, the status line) are too. main() sets them
// once, before any thread starts; tests point the output at a pipe with SetLogFd.
//
// Thread-safety: every function may be called from any thread. A line is formatted in full and
// written with one write(2) under a mutex, so lines from different threads never interleave.
// LogEnabled is one relaxed atomic load: a disabled level costs nothing but that check (Logf
// formats only after it).
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/log.h"
#include "engine/status.h"

namespace sluice {

/// Severity, most severe first; a line is written when its level is at or above the set one.
enum class LogLevel : uint8_t {
  kError = 0,  ///< the run (or command) fails, or something was lost
  kWarn = 1,   ///< a problem sluice works around (retries, skips, pauses); the operator may act
  kInfo = 2,   ///< what an operator wants to see once: start, endpoints, progress, the end
  kDebug = 3,  ///< diagnostics for finding a problem (librdkafka's chatter, limit changes)
};

enum class LogFormat : uint8_t {
  kText,  ///< "TS LEVEL component: message key=value ..."
  kJson,  ///< one JSON object per line: ts, level, component, msg, then the fields
};

/// One extra key/value of a line: a figure (written bare in JSON) or a text (quoted).
struct LogField {
  std::string_view key;
  std::string value;
  bool is_number = false;

  static LogField Text(std::string_view key, std::string value) { return LogField{key, std::move(value), false}; }
  static LogField Count(std::string_view key, uint64_t value) { return LogField{key, std::to_string(value), true}; }
  static LogField Integer(std::string_view key, int64_t value) { return LogField{key, std::to_string(value), true}; }
  static LogField Bool(std::string_view key, bool value) { return LogField{key, value ? "true" : "false", true}; }
  /// Written with `decimals` digits after the point.
  static LogField Decimal(std::string_view key, double value, int decimals = 1);
};

namespace internal {
extern std::atomic<uint8_t> g_log_level;
}  // namespace internal

/// True when a line of `level` would be written.
inline bool LogEnabled(LogLevel level) {
  return static_cast<uint8_t>(level) <= internal::g_log_level.load(std::memory_order_relaxed);
}

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();
/// Where lines go (default 2, stderr). Tests only.
void SetLogFd(int fd);
/// Whether the log's file descriptor is a terminal (the status line is drawn only there, and
/// only in text format).
bool LogIsTerminal();

/// A syslog severity (0 emergency .. 7 debug; librdkafka's log callback uses them) as a level:
/// 0-3 error, 4 warn, 5 info, 6-7 debug (libraries log their routine chatter as "informational").
LogLevel LogLevelFromSyslog(int severity);

/// "error" | "warn" | "info" | "debug" (also "warning").
[[nodiscard]] StatusOr<LogLevel> ParseLogLevel(std::string_view text);
/// "text" | "json".
[[nodiscard]] StatusOr<LogFormat> ParseLogFormat(std::string_view text);
std::string_view LogLevelName(LogLevel level);

/// Writes one line (when `level` is enabled). `component` names the part of sluice speaking
/// ("run", "pipeline", "http_sink", "kafka", ...). A message spanning several lines is kept
/// whole: JSON escapes its newlines, text indents the continuation lines.
void Log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields = {});
void Log(LogLevel level, std::string_view component, std::string_view message, const std::vector<LogField>& fields);
/// printf-style Log; formats only when `level` is enabled.
void Logf(LogLevel level, std::string_view component, const char* format, ...) __attribute__((format(printf, 3, 4)));

/// The terminal status line (text format on a terminal only; otherwise a no-op): draws `text`
/// in place of the previous one. Empty text erases it.
void SetStatusLine(std::string_view text);
/// Ends the status line: leaves its last text as an ordinary finished line (`keep`) or erases it.
void EndStatusLine(bool keep);

/// The timestamp format of the log: "2026-12-06T23:30:01.234Z" for the current time.
std::string LogTimestampNow();
/// Formats one line as it would be written (newline included), for tests and for Log itself.
std::string FormatLogLine(LogFormat format, std::string_view timestamp, LogLevel level, std::string_view component,
                          std::string_view message, const LogField* fields, size_t field_count);

}  // namespace sluice
