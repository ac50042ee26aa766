#include "app/config/config_lines.h"

#include <sstream>

namespace sluice::cli {
namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string WithoutQuotes(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != '"' && c != '\'') out += c;
  }
  return out;
}

/// One pass over `s` that honours "..." (with \ escapes) and '...' strings.
struct QuoteScan {
  size_t comment = std::string::npos;  ///< the first '#' outside a string; npos if none
  bool closed = true;                  ///< every string opened in `s` is closed
};

QuoteScan ScanQuotes(const std::string& s) {
  QuoteScan scan;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && scan.comment == std::string::npos) {
      scan.comment = i;
    }
  }
  scan.closed = quote == 0;
  return scan;
}

/// Drops a trailing "# comment" outside quotes.
std::string StripComment(const std::string& s) { return s.substr(0, ScanQuotes(s).comment); }

/// True when every string opened in `s` is closed.
bool QuotesClosed(const std::string& s) { return ScanQuotes(s).closed; }

Status LineError(int line, const std::string& what) {
  return InvalidArgument("line " + std::to_string(line) + ": " + what);
}

}  // namespace

StatusOr<std::vector<ConfigKeyLine>> ScanConfigLines(const std::string& text) {
  std::vector<ConfigKeyLine> keys;
  std::istringstream in(text);
  std::string raw;
  std::string section;
  int number = 0;
  while (std::getline(in, raw)) {
    ++number;
    const std::string line = Trim(StripComment(raw));
    if (line.empty() || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3) return LineError(number, "a section header looks like [name]");
      section = WithoutQuotes(Trim(line.substr(1, line.size() - 2)));
      if (section.empty() || section.front() == '[') return LineError(number, "a section header looks like [name]");
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) return LineError(number, "expected key = value");
    const std::string key = WithoutQuotes(Trim(line.substr(0, eq)));
    if (key.empty()) return LineError(number, "a key is missing before '='");
    std::string value = Trim(line.substr(eq + 1));
    if (value.empty()) return LineError(number, "key \"" + key + "\" has no value");
    const int start = number;
    if (value.front() == '[') {
      // An array may run over several lines, up to its closing bracket.
      while (!(QuotesClosed(value) && value.back() == ']')) {
        if (!std::getline(in, raw)) return LineError(start, "the array of \"" + key + "\" is not closed with ]");
        ++number;
        value += Trim(StripComment(raw));
      }
    } else if (!QuotesClosed(value)) {
      return LineError(start, "the string of \"" + key + "\" is not closed");
    }
    keys.push_back({start, section, key});
  }
  return keys;
}

int LineOfKey(const std::vector<ConfigKeyLine>& lines, const std::string& section, const std::string& key) {
  for (const ConfigKeyLine& l : lines) {
    if (l.section == section && l.key == key) return l.line;
  }
  return 0;
}

}  // namespace sluice::cli
