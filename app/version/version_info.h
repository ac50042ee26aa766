// File: app/version/version_info.h
// What `sluice --version` and `sluice version` print: sluice's own version and git commit (both
// fixed at build time) and the versions of the libraries it runs with - librdkafka, oneTBB and
// libcurl as the loaded shared libraries report them, simdjson as its headers say (it has no
// runtime version call), plus oneTBB's header version so a header/runtime mismatch shows.
// Used by app/main.cpp, sluice_build_info (app/metrics) and the JSON reports (app/report).
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sluice::cli {

/// sluice's version from project() in CMakeLists.txt, e.g. "0.1.0".
[[nodiscard]] const char* SluiceVersion();

/// The git commit the binary was built from (12 hex digits), or "unknown".
[[nodiscard]] const char* SluiceCommit();

/// The full text, one "name version" line each, ending in a newline:
///   sluice 0.1.0 (commit 0123456789ab)
///   librdkafka 2.0.2
///   ...
[[nodiscard]] std::string VersionText();

/// The same facts as (name, value) pairs for labels and reports: version, commit, librdkafka,
/// simdjson, onetbb, libcurl.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> VersionFields();

}  // namespace sluice::cli
