// File: devtools/sink_emulator/table_schema.h
// The emulator's view of a FeatureBase table (column name, type, scale) and of an ingest
// schema (column name -> JSON path), plus loaders for the JSON files used by the tutorial
// (tutorial-table.json, tutorial-ingest-schema.json). The column types, their names and these
// loaders are the emulator's own, not stages/schema_map's (ingest_schema.h), though they read
// the same files: the emulator is the oracle sluice's mapping is checked against, so it shares
// no mapping code with the product (see ingest_validator.h), and a type the product misreads
// shows up as a disagreement instead of being mirrored here.
// Thread-safety: immutable after load.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace sluice::emulator {

/// FeatureBase column types the emulator understands.
enum class ColumnType : uint8_t {
  kString,     ///< JSON string (numbers are accepted as their JSON text)
  kInt,        ///< signed 64-bit integer
  kDecimal,    ///< fixed point with `scale` fractional digits, stored as int64 * 10^-scale
  kBool,       ///< true / false
  kTimestamp,  ///< RFC 3339 string or integer epoch seconds
  kId,         ///< unsigned 64-bit integer (also accepted as numeric string)
  kStringSet,  ///< array of strings (a single string is a one-element set)
  kIdSet,      ///< array of unsigned integers (a single id is a one-element set)
};

std::string_view ColumnTypeName(ColumnType type);

struct TableColumn {
  std::string name;
  ColumnType type = ColumnType::kString;
  uint32_t scale = 0;  ///< decimal only
};

struct SchemaField {
  std::string name;               ///< column name in the table
  std::vector<std::string> path;  ///< JSON path inside the record value
};

/// Loads `[{"name","type","scale"?}, ...]`. `_id` must be present.
[[nodiscard]] StatusOr<std::vector<TableColumn>> LoadTable(const std::string& path);
[[nodiscard]] StatusOr<std::vector<TableColumn>> ParseTable(std::string_view json);

/// Loads `[{"name","path":[...],"type"?}, ...]` ("type" is accepted and ignored).
[[nodiscard]] StatusOr<std::vector<SchemaField>> LoadIngestSchema(const std::string& path);
[[nodiscard]] StatusOr<std::vector<SchemaField>> ParseIngestSchema(std::string_view json);

}  // namespace sluice::emulator
