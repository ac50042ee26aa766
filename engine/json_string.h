// File: engine/json_string.h
// The one JSON string escaper of the code base: AppendJsonEscaped (the escaped text, no quotes)
// and AppendJsonString (a whole literal, quotes included). Escapes '"', '\\' and the control
// characters (short forms where JSON has them, \u00XX otherwise); every other byte, UTF-8
// included, passes through unchanged. Runs of plain bytes are copied in one append. Used for
// reports, error bodies, dead-letter lines, column names and generated records; record values
// sluice forwards are never re-escaped (their original token is kept).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace sluice {

inline void AppendJsonEscaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        const char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(escape, sizeof(escape));
      }
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
}

inline void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  AppendJsonEscaped(out, text);
  out += '"';
}

}  // namespace sluice
