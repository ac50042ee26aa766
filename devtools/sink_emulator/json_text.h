// File: devtools/sink_emulator/json_text.h
// Tiny helpers to write JSON text (string escaping, number grammar checks) used by the
// validator, the row store and the HTTP answers. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "engine/json_string.h"

namespace sluice::emulator {

/// Returns `s` as a quoted JSON string.
std::string JsonString(std::string_view s);

/// True if `s` is exactly a JSON number (RFC 8259 grammar).
bool IsJsonNumber(std::string_view s);

/// True if `s` is a non-empty run of ASCII digits.
bool IsAllDigits(std::string_view s);

}  // namespace sluice::emulator
