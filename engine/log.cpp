// File: engine/log.cpp
// The logging facility of log.h: formatting (text, JSON), the one-write-per-line output and the
// terminal status line.
#include "engine/log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "engine/json_string.h"

namespace sluice {
namespace internal {
std::atomic<uint8_t> g_log_level{static_cast<uint8_t>(LogLevel::kInfo)};
}  // namespace internal

namespace {

struct Output {
  std::mutex mu;
  int fd = STDERR_FILENO;
  std::string status_line;  ///< what the terminal shows below the log; guarded by mu
};

Output& TheOutput() {
  static Output* output = new Output();  // never destroyed: threads may log during exit
  return *output;
}

std::atomic<uint8_t> g_log_format{static_cast<uint8_t>(LogFormat::kText)};

constexpr std::string_view kEraseLine = "\r\033[K";

// Writes all of `text`; one write(2) unless the kernel takes less (then the rest follows).
void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report it
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
}

// Length of the valid UTF-8 sequence at s[i], 0 when the byte there does not start one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = 0;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  }
  // Overlong forms, surrogates and code points past U+10FFFF.
  if (c == 0xe0 && b(i + 1) < 0xa0) return 0;
  if (c == 0xed && b(i + 1) > 0x9f) return 0;
  if (c == 0xf0 && b(i + 1) < 0x90) return 0;
  if (c == 0xf4 && b(i + 1) > 0x8f) return 0;
  return n;
}

// A JSON string value: escaped, and every byte that is not valid UTF-8 (a record's raw bytes
// quoted in a reason, say) replaced by U+FFFD, so each line parses.
void AppendJsonText(std::string& out, std::string_view text) {
  out += '"';
  size_t start = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      AppendJsonEscaped(out, text.substr(start, i - start));
      out += "\xef\xbf\xbd";
      ++i;
      start = i;
    } else {
      i += n;
    }
  }
  AppendJsonEscaped(out, text.substr(start));
  out += '"';
}

void AppendTextValue(std::string& out, std::string_view value) {
  if (!value.empty() && value.find_first_of(" \"=") == std::string_view::npos) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string VFormat(const char* format, va_list args) {
  char small[512];
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(small, sizeof(small), format, copy);
  va_end(copy);
  if (n < 0) return format;
  if (static_cast<size_t>(n) < sizeof(small)) return std::string(small, static_cast<size_t>(n));
  std::string out(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(out.data(), out.size(), format, args);
  out.resize(static_cast<size_t>(n));
  return out;
}

// The log's own newline is added by FormatLogLine; a caller's trailing one would make an empty line.
std::string_view TrimNewlines(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

LogField LogField::Decimal(std::string_view key, double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return LogField{key, buf, true};
}

void SetLogLevel(LogLevel level) {
  internal::g_log_level.store(static_cast<uint8_t>(level), std::memory_order_relaxed);
}
LogLevel GetLogLevel() { return static_cast<LogLevel>(internal::g_log_level.load(std::memory_order_relaxed)); }
void SetLogFormat(LogFormat format) { g_log_format.store(static_cast<uint8_t>(format), std::memory_order_relaxed); }
LogFormat GetLogFormat() { return static_cast<LogFormat>(g_log_format.load(std::memory_order_relaxed)); }

void SetLogFd(int fd) {
  Output& o = TheOutput();
  std::lock_guard<std::mutex> lock(o.mu);
  o.fd = fd;
}

bool LogIsTerminal() {
  Output& o = TheOutput();
  std::lock_guard<std::mutex> lock(o.mu);
  return ::isatty(o.fd) == 1;
}

StatusOr<LogLevel> ParseLogLevel(std::string_view text) {
  if (text == "error") return LogLevel::kError;
  if (text == "warn" || text == "warning") return LogLevel::kWarn;
  if (text == "info") return LogLevel::kInfo;
  if (text == "debug") return LogLevel::kDebug;
  return InvalidArgument("--log-level must be error, warn, info or debug, got \"" + std::string(text) + "\"");
}

StatusOr<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return InvalidArgument("--log-format must be text or json, got \"" + std::string(text) + "\"");
}

LogLevel LogLevelFromSyslog(int severity) {
  if (severity <= 3) return LogLevel::kError;
  if (severity == 4) return LogLevel::kWarn;
  if (severity == 5) return LogLevel::kInfo;
  return LogLevel::kDebug;
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "info";
}

std::string LogTimestampNow() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, now.tv_nsec / 1000000);
  return buf;
}

std::string FormatLogLine(LogFormat format, std::string_view timestamp, LogLevel level, std::string_view component,
                          std::string_view message, const LogField* fields, size_t field_count) {
  const LogField* const fields_end = fields + field_count;
  message = TrimNewlines(message);
  std::string out;
  out.reserve(64 + message.size());
  if (format == LogFormat::kJson) {
    out += "{\"ts\":";
    AppendJsonText(out, timestamp);
    out += ",\"level\":";
    AppendJsonText(out, LogLevelName(level));
    if (!component.empty()) {
      out += ",\"component\":";
      AppendJsonText(out, component);
    }
    out += ",\"msg\":";
    AppendJsonText(out, message);
    for (const LogField* it = fields; it != fields_end; ++it) {
      const LogField& f = *it;
      // The fixed keys come first and win: a field may not replace them.
      if (f.key == "ts" || f.key == "level" || f.key == "component" || f.key == "msg") continue;
      out += ',';
      AppendJsonText(out, f.key);
      out += ':';
      if (f.is_number) {
        out += f.value;
      } else {
        AppendJsonText(out, f.value);
      }
    }
    out += "}\n";
    return out;
  }
  out += timestamp;
  out += ' ';
  std::string_view name = LogLevelName(level);
  for (char c : name) out += static_cast<char>(c - 'a' + 'A');
  out.append(6 - name.size(), ' ');  // aligns the messages: "WARN  ", "ERROR "
  if (!component.empty()) {
    out += component;
    out += ": ";
  }
  // Continuation lines of a multi-line message are indented, so every line that starts at the
  // margin is a new log line.
  size_t start = 0;
  while (true) {
    const size_t nl = message.find('\n', start);
    out += message.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (nl == std::string_view::npos) break;
    out += "\n    ";
    start = nl + 1;
  }
  for (const LogField* it = fields; it != fields_end; ++it) {
    const LogField& f = *it;
    out += ' ';
    out += f.key;
    out += '=';
    AppendTextValue(out, f.value);
  }
  out += '\n';
  return out;
}

namespace {

void WriteLine(LogLevel level, std::string_view component, std::string_view message, const LogField* fields,
               size_t field_count) {
  std::string line = FormatLogLine(GetLogFormat(), LogTimestampNow(), level, component, message, fields, field_count);
  Output& o = TheOutput();
  std::lock_guard<std::mutex> lock(o.mu);
  if (!o.status_line.empty()) {
    // Erase the status line, write the log line where it was, and draw it again below.
    std::string framed;
    framed.reserve(line.size() + o.status_line.size() + 8);
    framed += kEraseLine;
    framed += line;
    framed += o.status_line;
    WriteAll(o.fd, framed);
    return;
  }
  WriteAll(o.fd, line);
}

}  // namespace

void Log(LogLevel level, std::string_view component, std::string_view message, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  WriteLine(level, component, message, fields.begin(), fields.size());
}

void Log(LogLevel level, std::string_view component, std::string_view message, const std::vector<LogField>& fields) {
  if (!LogEnabled(level)) return;
  WriteLine(level, component, message, fields.data(), fields.size());
}

void Logf(LogLevel level, std::string_view component, const char* format, ...) {
  if (!LogEnabled(level)) return;
  va_list args;
  va_start(args, format);
  const std::string message = VFormat(format, args);
  va_end(args);
  Log(level, component, message);
}

void SetStatusLine(std::string_view text) {
  if (GetLogFormat() != LogFormat::kText) return;
  Output& o = TheOutput();
  std::lock_guard<std::mutex> lock(o.mu);
  if (::isatty(o.fd) != 1) return;
  std::string out(kEraseLine);
  out += text;
  WriteAll(o.fd, out);
  o.status_line.assign(text);
}

void EndStatusLine(bool keep) {
  Output& o = TheOutput();
  std::lock_guard<std::mutex> lock(o.mu);
  if (o.status_line.empty()) return;
  WriteAll(o.fd, keep ? std::string_view("\n") : kEraseLine);
  o.status_line.clear();
}

}  // namespace sluice
