// File: stages/schema_map/ingest_schema.h
// IngestSchema: which JSON value goes into which column, with what type. Loaded from the
// FeatureBase tutorial's ingest schema file (a JSON list of {"name", "path", "type"?}, e.g.
// examples/flights/schema.json) and optionally a table definition (a JSON list of
// {"name", "type", "scale"?}, e.g. examples/flights/table.json). Loading is not a hot path.
// Thread-safety: immutable after loading; share it freely between threads.
//
//   StatusOr<IngestSchema> s = IngestSchema::Load("schema.json", "table.json");
//   if (!s.ok()) return s.status();   // "schema.json: entry 3 ("price"): ..."
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace sluice::stages {

/// The value types a column can have (FeatureBase's, minus time quantums).
enum class ColumnType : uint8_t {
  kString,     ///< UTF-8 text ("string", alias "text")
  kInt,        ///< signed 64-bit ("int", aliases "integer", "int64")
  kDecimal,    ///< fixed point with `scale` fractional digits, at most 18 digits ("decimal",
               ///< "decimal(S)")
  kBool,       ///< true/false ("bool", alias "boolean")
  kTimestamp,  ///< RFC 3339 date-time ("timestamp", alias "datetime")
  kId,         ///< unsigned 64-bit ("id", aliases "uint64", "unsigned")
  kStringSet,  ///< list of strings ("stringset", alias "string_set")
  kIdSet,      ///< list of unsigned 64-bit ("idset", alias "id_set")
};

/// Canonical lower-case name ("decimal", "stringset").
std::string_view ColumnTypeName(ColumnType type);

struct Column {
  std::string name;               ///< column name; "_id" is the record key
  std::vector<std::string> path;  ///< keys from the record's root to the value (unescaped)
  ColumnType type = ColumnType::kString;
  int scale = 0;                  ///< fractional digits, decimal only (0..18)
};

class IngestSchema {
 public:
  /// Reads and checks the schema file and, when `table_path` is not empty, the table file.
  /// Errors: kNotFound (file missing/unreadable), kInvalidArgument (content), naming the file.
  [[nodiscard]] static StatusOr<IngestSchema> Load(const std::string& schema_path,
                                                   const std::string& table_path);
  /// Same from text. `table_json` may be empty (no table). Error messages name the schema
  /// `schema_name_for_errors` and the table `table_name_for_errors`.
  [[nodiscard]] static StatusOr<IngestSchema> FromJson(
      std::string_view schema_json, std::string_view table_json,
      std::string_view schema_name_for_errors, std::string_view table_name_for_errors = "table");

  /// Columns in schema-file order.
  const std::vector<Column>& columns() const { return columns_; }
  /// Index of the "_id" column in columns().
  size_t id_index() const { return id_index_; }
  const Column& id_column() const { return columns_[id_index_]; }

 private:
  std::vector<Column> columns_;
  size_t id_index_ = 0;
};

/// `["origin","iata"]` (JSON text of a path), for messages.
std::string PathToString(const std::vector<std::string>& path);

}  // namespace sluice::stages
