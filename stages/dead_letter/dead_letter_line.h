// File: stages/dead_letter/dead_letter_line.h
// FormatDeadLetterLine: one rejected record as one NDJSON line, the format of `file:` dead
// letters: {"reason","stage","topic","partition","offset","value"} + '\n'. `value` is the
// original bytes as a JSON string when they are valid UTF-8; otherwise it holds their base64 and
// a trailing "value_encoding":"base64" says so (JSON strings cannot carry arbitrary bytes).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "engine/delivery_report.h"
#include "engine/source.h"

namespace sluice::stages {

/// True when `bytes` is well-formed UTF-8.
bool IsValidUtf8(std::string_view bytes);
/// Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);
/// The NDJSON line (ends with '\n').
std::string FormatDeadLetterLine(const RejectedRecord& record, const StreamInfo& stream);

}  // namespace sluice::stages
