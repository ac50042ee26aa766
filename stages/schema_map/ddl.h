// File: stages/schema_map/ddl.h
// The CREATE TABLE statement matching an IngestSchema, for `sluice schema ddl` and the
// ClickHouse sink: FeatureBaseDdl (the primary target) and ClickHouseDdl. Column types: see
// docs/schema.md ("FeatureBase types", "ClickHouse types").
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "engine/status.h"
#include "stages/schema_map/ingest_schema.h"

namespace sluice::stages {

/// `CREATE TABLE IF NOT EXISTS <t> (_id ID, airline STRING, price DECIMAL(2), ...);` in
/// FeatureBase SQL. `_id` comes first (ID, or STRING for a string key), then schema order.
/// FeatureBase identifiers cannot be quoted, so a table or column name outside its naming
/// standard (a lower-case letter, then lower-case letters, digits, '_' and '-'; tables up to
/// 230 characters, columns up to 64) is refused: kInvalidArgument naming it.
[[nodiscard]] StatusOr<std::string> FeatureBaseDdl(const IngestSchema& schema, std::string_view table_name);

/// The FeatureBase SQL type of one column ("DECIMAL(2)").
std::string FeatureBaseType(const Column& column);

/// `CREATE TABLE IF NOT EXISTS <t> (_id UInt64, airline String, price Decimal(18, 2), ...)
/// ENGINE = ReplacingMergeTree ORDER BY _id`. Names are back-quoted when they are not plain
/// identifiers. `_id` comes first, then schema order.
std::string ClickHouseDdl(const IngestSchema& schema, std::string_view table_name);

/// The ClickHouse type of one column ("Decimal(18, 2)").
std::string ClickHouseType(const Column& column);

}  // namespace sluice::stages
