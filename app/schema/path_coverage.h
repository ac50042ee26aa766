// File: app/schema/path_coverage.h
// PathCoverage: for `sluice schema check`, how many sample records had a value at each column's
// path, and for a column whose path matched no record, where the path broke and which existing
// key was probably meant ("did you mean \"iata\"?"). It looks at the samples independently of
// the schema-map stage (simdjson's DOM API, one parse per sample): the check is not a hot path,
// and a second reading of the records keeps the diagnosis apart from the mapping it explains.
//
//   PathCoverage coverage(schema.columns());
//   for (each sample payload) coverage.Add(payload);
//   if (!coverage.Matched(i)) err << coverage.Diagnose(i);
//
// The suggestion rule (NearestKey / EditDistance) lives in app/common/nearest_key.h.
// Thread-safety: one thread per object.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <simdjson.h>

#include "app/common/nearest_key.h"
#include "stages/schema_map/ingest_schema.h"

namespace sluice::cli {

class PathCoverage {
 public:
  /// Counts for one column over the samples.
  struct ColumnCounts {
    uint64_t value = 0;  ///< samples with a non-null value at the path
    uint64_t null = 0;   ///< samples with null at the path (the mapper leaves the column out)
  };

  explicit PathCoverage(std::vector<stages::Column> columns);

  /// Looks at one sample record (any bytes; invalid JSON counts as a sample without paths).
  void Add(std::string_view payload);

  uint64_t samples() const { return samples_; }
  /// Samples that were not a JSON object (invalid JSON, arrays, scalars).
  uint64_t non_objects() const { return non_objects_; }
  const ColumnCounts& counts(size_t column) const { return counts_[column]; }
  /// True when at least one sample had the column's path (a value or null).
  bool Matched(size_t column) const { return counts_[column].value + counts_[column].null > 0; }

  /// For a column that matched no sample: `column origin_iata: path ["origin","iatta"] matched
  /// none of 5 samples; "origin" has keys iata, icao, ...: did you mean "iata"?`.
  std::string Diagnose(size_t column) const;

 private:
  // What the samples held at one path prefix (a proper prefix of some column's path).
  struct Level {
    uint64_t objects = 0;                  ///< samples where the prefix is an object
    std::vector<std::string> keys;         ///< keys of those objects, first seen first
    std::unordered_set<std::string> seen;  ///< the same keys, for lookups
    std::map<std::string, uint64_t> other_types;  ///< "string" -> samples where it was one
  };

  std::vector<stages::Column> columns_;
  std::vector<ColumnCounts> counts_;
  std::map<std::vector<std::string>, Level> levels_;  // every proper prefix of every path
  uint64_t samples_ = 0;
  uint64_t non_objects_ = 0;
  simdjson::dom::parser parser_;
};

}  // namespace sluice::cli
