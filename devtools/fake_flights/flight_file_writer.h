// File: devtools/fake_flights/flight_file_writer.h
// Writes fake flights as NDJSON (one JSON object per line) to a file, to stdout ("-"), or
// gzip-compressed when the path ends in ".gz". Thread-safety: each call is independent.
#pragma once

#include <string>

#include "engine/status.h"
#include "devtools/fake_flights/flight_run.h"

namespace sluice {

struct FlightFileConfig {
  /// Output path; "-" means stdout; a ".gz" suffix writes gzip (zlib, level 1).
  std::string path = "-";
  /// Count, seed, first id and rate of the records.
  FlightRunOptions run;
};

/// Writes cfg.run.count lines. Unavailable if the file cannot be opened, DataLoss if a write
/// fails (disk full, closed pipe).
[[nodiscard]] StatusOr<FlightRunSummary> WriteFlightsNdjson(const FlightFileConfig& cfg);

}  // namespace sluice
