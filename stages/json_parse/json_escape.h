// File: stages/json_parse/json_escape.h
// AppendJsonString: writes text as a JSON string literal (quotes, escapes for '"', '\\' and
// control characters; other UTF-8 bytes pass through). Used for column names in mapped output
// and for messages; record values are never re-escaped (their original token is kept).
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace sluice::stages {

inline void AppendJsonString(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

}  // namespace sluice::stages
