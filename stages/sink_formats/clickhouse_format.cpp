#include "stages/sink_formats/clickhouse_format.h"

#include <cctype>

namespace sluice::stages {
namespace {

// ClickHouse error codes (src/Common/ErrorCodes.cpp) that mean "this input is bad": resending
// the same rows can never work, so the rows are isolated by splitting and dead-lettered.
bool IsDataErrorCode(int code) {
  switch (code) {
    case 6:    // CANNOT_PARSE_TEXT
    case 25:   // CANNOT_PARSE_ESCAPE_SEQUENCE
    case 26:   // CANNOT_PARSE_QUOTED_STRING
    case 27:   // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    case 32:   // ATTEMPT_TO_READ_AFTER_EOF (truncated row)
    case 33:   // CANNOT_READ_ALL_DATA
    case 38:   // CANNOT_PARSE_DATE
    case 41:   // CANNOT_PARSE_DATETIME
    case 53:   // TYPE_MISMATCH
    case 69:   // ARGUMENT_OUT_OF_BOUND
    case 70:   // CANNOT_CONVERT_TYPE
    case 72:   // CANNOT_PARSE_NUMBER
    case 117:  // INCORRECT_DATA (incl. "Unknown field found while parsing JSONEachRow")
    case 131:  // TOO_LARGE_STRING_SIZE
    case 349:  // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
    case 377:  // CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING
    case 441:  // CANNOT_PARSE_UUID
    case 457:  // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
    case 691:  // UNKNOWN_ELEMENT_OF_ENUM
      return true;
    default:
      return false;
  }
}

// Codes that name a configuration problem: no retry and no dead-lettering can fix them.
bool IsConfigErrorCode(int code) {
  switch (code) {
    case 60:   // UNKNOWN_TABLE
    case 62:   // SYNTAX_ERROR (bad table name in the query)
    case 73:   // UNKNOWN_FORMAT
    case 81:   // UNKNOWN_DATABASE
    case 164:  // READONLY
    case 192:  // UNKNOWN_USER
    case 194:  // REQUIRED_PASSWORD
    case 497:  // ACCESS_DENIED
    case 516:  // AUTHENTICATION_FAILED
      return true;
    default:
      return false;
  }
}

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
}

}  // namespace

int ClickHouseFormat::ExceptionCode(std::string_view body) {
  // Tolerate leading whitespace; newer versions may prefix nothing else.
  size_t i = 0;
  while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i])) != 0) ++i;
  constexpr std::string_view kPrefix = "Code: ";
  if (body.substr(i, kPrefix.size()) != kPrefix) return -1;
  i += kPrefix.size();
  int code = 0;
  size_t digits = 0;
  while (i < body.size() && digits < 6 && std::isdigit(static_cast<unsigned char>(body[i])) != 0) {
    code = code * 10 + (body[i] - '0');
    ++i;
    ++digits;
  }
  return digits == 0 ? -1 : code;
}

ResponseVerdict ClickHouseFormat::Judge(long http_status, std::string_view body,
                                        size_t /*record_count*/) const {
  ResponseVerdict v;
  const bool ok = http_status >= 200 && http_status < 300;
  const int code = ok ? -1 : ExceptionCode(body);
  if (overrides_.retry_on.count(static_cast<int>(http_status)) != 0) {
    v.cls = ResponseClass::kRetry;
  } else if (code >= 0 && IsDataErrorCode(code)) {
    v.cls = ResponseClass::kRejectedRequest;
  } else if (code >= 0 && IsConfigErrorCode(code)) {
    v.cls = ResponseClass::kFatal;
  } else {
    v.cls = ClassifyHttpStatus(http_status, "", overrides_);
  }
  if (v.cls != ResponseClass::kAccepted) {
    v.reason = BodySnippet(body, 500);
    if (v.reason.empty()) v.reason = "HTTP " + std::to_string(http_status);
  }
  return v;
}

std::string ClickHouseFormat::RequestUrlSuffix() const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "?query=INSERT%20INTO%20";
  for (unsigned char c : table_) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  out += "%20FORMAT%20JSONEachRow";
  return out;
}

}  // namespace sluice::stages
