// File: stages/http_sink/retry_after.h
// ParseRetryAfterSeconds: the delay-seconds form of an HTTP Retry-After field value
// (RFC 9110 10.2.3). Shared by both HTTP clients (libcurl's header callback and the plain
// client's parser callbacks) so they honour the same answers the same way.
// Thread-safety: a pure function.
#pragma once

#include <string_view>

namespace sluice::stages {

/// The seconds of a Retry-After value ("120", leading blanks allowed; at most 7 digits are
/// read, so a huge value is capped instead of overflowing), or -1 when it does not start with a
/// digit. The HTTP-date form is not parsed: -1, and the normal backoff applies.
long ParseRetryAfterSeconds(std::string_view value);

}  // namespace sluice::stages
