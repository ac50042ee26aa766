// File: stages/schema_map/ddl.h
// ClickHouseDdl: the CREATE TABLE statement matching an IngestSchema, for the ClickHouse sink
// and `sluice schema`. Column types: see COERCION.md ("ClickHouse types").
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

#include "stages/schema_map/ingest_schema.h"

namespace sluice::stages {

/// `CREATE TABLE IF NOT EXISTS <t> (_id UInt64, airline String, price Decimal(18, 2), ...)
/// ENGINE = ReplacingMergeTree ORDER BY _id`. Names are back-quoted when they are not plain
/// identifiers. `_id` comes first, then schema order.
std::string ClickHouseDdl(const IngestSchema& schema, std::string_view table_name);

/// The ClickHouse type of one column ("Decimal(18, 2)").
std::string ClickHouseType(const Column& column);

}  // namespace sluice::stages
