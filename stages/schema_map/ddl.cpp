// File: stages/schema_map/ddl.cpp
#include "stages/schema_map/ddl.h"

namespace sluice::stages {
namespace {

// Plain identifiers stay bare; anything else is back-quoted with '`' and '\' escaped.
std::string Identifier(std::string_view name) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      plain = false;
    }
  }
  if (plain) return std::string(name);
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

// "db.table" names a table in a database: quote each part on its own.
std::string QualifiedIdentifier(std::string_view name) {
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return Identifier(name);
  return Identifier(name.substr(0, dot)) + "." + Identifier(name.substr(dot + 1));
}

}  // namespace

std::string ClickHouseType(const Column& column) {
  switch (column.type) {
    case ColumnType::kString: return "String";
    case ColumnType::kInt: return "Int64";
    case ColumnType::kDecimal: return "Decimal(18, " + std::to_string(column.scale) + ")";
    case ColumnType::kBool: return "UInt8";  // 18.16 has no Bool; JSON true/false load as 1/0
    case ColumnType::kTimestamp: return "String";
    case ColumnType::kId: return "UInt64";
    case ColumnType::kStringSet: return "Array(String)";
    case ColumnType::kIdSet: return "Array(UInt64)";
  }
  return "String";
}

std::string ClickHouseDdl(const IngestSchema& schema, std::string_view table_name) {
  std::string out = "CREATE TABLE IF NOT EXISTS " + QualifiedIdentifier(table_name) + " (";
  const auto& columns = schema.columns();
  out += "_id " + ClickHouseType(schema.id_column());
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i == schema.id_index()) continue;
    out += ", " + Identifier(columns[i].name) + " " + ClickHouseType(columns[i]);
  }
  out += ") ENGINE = ReplacingMergeTree ORDER BY _id";
  return out;
}

}  // namespace sluice::stages
