// File: stages/http_sink/retry_after.h
// ParseRetryAfterSeconds: the delay-seconds form of an HTTP Retry-After field value
// (RFC 9110 10.2.3). Shared by both HTTP clients (libcurl's header callback and the plain
// client's parser callbacks) so they honour the same answers the same way.
// Thread-safety: a pure function.
#pragma once

#include <string_view>

namespace sluice::stages {

/// Where ParseRetryAfterSeconds saturates: about 68 years, far above any pause the sender
/// takes (it caps pauses at HttpSinkConfig::retry_after_max_ms), and small enough that
/// std::chrono::seconds(value) converted to nanoseconds cannot overflow.
inline constexpr long kRetryAfterSaturatedSeconds = 2147483647L;

/// The seconds of a Retry-After value ("120", leading blanks allowed), saturating at
/// kRetryAfterSaturatedSeconds however many digits follow (a value is never truncated to its
/// first digits, which would turn 315360000 into 3153600), or -1 when it does not start with a
/// digit. The HTTP-date form is not parsed: -1, and the normal backoff applies.
long ParseRetryAfterSeconds(std::string_view value);

}  // namespace sluice::stages
