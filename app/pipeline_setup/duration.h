// File: app/pipeline_setup/duration.h
// ParseDuration: the text of a duration flag ("30s", "500ms", "2m", "1h"; a bare number is
// seconds; "0" is zero, which the flags that take it read as "off") -> milliseconds. Used by
// the timeout flags of `sluice run` (--startup-timeout, --sink-unavailable-timeout). Pure.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::cli {

/// Parses `text` into `out_ms`. Returns "" on success, otherwise a message naming `flag`.
std::string ParseDuration(const std::string& flag, const std::string& text, int64_t& out_ms);

}  // namespace sluice::cli
