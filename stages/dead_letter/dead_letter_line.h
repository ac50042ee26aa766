// File: stages/dead_letter/dead_letter_line.h
// FormatDeadLetterLine: one rejected record as one NDJSON line, the format of `file:` dead
// letters (documented in docs/dead-letters.md):
//   {"reason","stage","topic","partition","offset","key","headers":[{"name","value"},...],"value"}
// Byte fields (key, header names and values, value) are JSON strings when the bytes are valid
// UTF-8; otherwise they hold base64 and a sibling "<field>_encoding":"base64" says so (JSON
// strings cannot carry arbitrary bytes). "key" is null when the message had none; a header
// value or "value" is null when it was null (a tombstone's "value" is null, an empty value "").
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
