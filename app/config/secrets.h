// File: app/config/secrets.h
// Secrets come from the environment (NAME) or a file (NAME_FILE, first line, trailing newline
// stripped), never from the command line, and are never printed. Main thread only.
#pragma once

#include <string>

#include "engine/status.h"

namespace sluice::cli {

/// The secret named `name` (e.g. "SLUICE_PASSWORD"): env NAME, else the file named by env
/// NAME_FILE, else empty. An unreadable NAME_FILE is an error naming the file (not the value).
[[nodiscard]] StatusOr<std::string> ReadSecret(const std::string& name);

}  // namespace sluice::cli
