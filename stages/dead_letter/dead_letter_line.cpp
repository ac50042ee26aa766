#include "stages/dead_letter/dead_letter_line.h"

#include "engine/json_string.h"

#include <cstdint>

namespace sluice::stages {

bool IsValidUtf8(std::string_view bytes) {
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) { ++i; continue; }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(bytes[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                 uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

namespace {

// `"field":"text"` when `bytes` are UTF-8, else `"field":"base64","field_encoding":"base64"`.
void AppendBytesField(std::string& line, std::string_view field, std::string_view bytes) {
  line += '"';
  line += field;
  line += "\":\"";
  if (IsValidUtf8(bytes)) {
    AppendJsonEscaped(line, bytes);
    line += '"';
  } else {
    line += Base64Encode(bytes);
    line += "\",\"";
    line += field;
    line += "_encoding\":\"base64\"";
  }
}

}  // namespace

std::string FormatDeadLetterLine(const RejectedRecord& record, const StreamInfo& stream) {
  const RecordOrigin& origin = record.origin;
  std::string line;
  line.reserve(record.bytes.size() + record.reason.size() + origin.key.size() + origin.headers.size() + 160);
  line += "{\"reason\":\"";
  AppendJsonEscaped(line, record.reason);
  line += "\",\"stage\":\"";
  AppendJsonEscaped(line, RejectStageName(record.stage));
  line += "\",\"topic\":\"";
  AppendJsonEscaped(line, stream.name);
  line += "\",\"partition\":";
  line += std::to_string(stream.partition);
  line += ",\"offset\":";
  line += std::to_string(record.position.offset);
  line += ',';
  if (origin.has_key) {
    AppendBytesField(line, "key", origin.key);
  } else {
    line += "\"key\":null";
  }
  line += ",\"headers\":[";
  HeaderReader headers(origin.headers);
  std::string_view name;
  std::string_view value;
  bool value_null = false;
  bool first = true;
  while (headers.Next(&name, &value, &value_null)) {
    if (!first) line += ',';
    first = false;
    line += '{';
    AppendBytesField(line, "name", name);
    line += ',';
    if (value_null) {
      line += "\"value\":null";
    } else {
      AppendBytesField(line, "value", value);
    }
    line += '}';
  }
  line += "],";
  if (origin.null_value) {
    line += "\"value\":null";
  } else {
    AppendBytesField(line, "value", record.bytes);
  }
  line += "}\n";
  return line;
}

}  // namespace sluice::stages
