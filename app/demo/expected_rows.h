// File: app/demo/expected_rows.h
// The one expectation helper: what a FeatureBase-style sink must hold for given source records
// (the flights example's schema/table: id, string and decimal columns), and an exact comparison
// of a sink's GET /rows answer (NDJSON) with it. Computed from the schema/table files on its
// own, not through the schema-map stage, so a check against it is not circular (rules:
// docs/schema.md). Used by `sluice demo` to verify what it delivered, and by the integration
// tests (tests/integration/integration_env.h). The sink emulator (devtools/sink_emulator)
// implements the same rules separately on purpose: it is the oracle and shares no code with this.
// Thread-safety: none; one thread per object.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sluice::expect {

/// One JSON scalar of a flat row: strings decoded, other tokens as their exact text.
struct Scalar {
  bool is_string = false;
  std::string text;
  bool operator==(const Scalar& o) const { return is_string == o.is_string && text == o.text; }
};
using Row = std::map<std::string, Scalar>;

/// Parses a flat JSON object ({"k":"s","n":1.50,...}); false (and *error) on anything else.
bool ParseFlatRow(const std::string& line, Row* row, std::string* error);

/// Expected sink rows (keyed by _id text) for source JSON records, by a schema and table file.
class ExpectedRows {
 public:
  /// Loads the schema/table; check ok() after.
  ExpectedRows(const std::string& schema_path, const std::string& table_path);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  /// Adds the expected row of one source record; false (and error()) when it is not mappable.
  bool Add(const std::string& json);
  /// Adds records 1..count of FlightGenerator(seed, first_id).
  bool AddGenerated(uint64_t seed, uint64_t count, uint64_t first_id = 1);
  const std::map<std::string, Row>& rows() const { return rows_; }

 private:
  struct Column {
    std::string name;
    std::vector<std::string> path;
    std::string type;
    int scale = 0;
  };
  std::vector<Column> columns_;
  std::map<std::string, Row> rows_;
  std::string error_;
};

/// Compares the sink's NDJSON rows with the expectation: same set of ids, every row equal
/// column by column. Empty on success, else a description (counts and the first difference).
std::string CompareRows(const std::string& rows_ndjson, const std::map<std::string, Row>& expected);
/// The _id texts of the sink's rows.
std::vector<std::string> RowIds(const std::string& rows_ndjson);

}  // namespace sluice::expect
