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

// FeatureBase's naming standard for identifiers ("CREATE TABLE statement", Naming standards):
// a lower-case letter first, then lower-case letters, digits, '-' and '_'. Its SQL has no quoted
// identifiers, so a name outside this cannot be written at all.
bool IsFeatureBaseIdentifier(std::string_view name, size_t max_length) {
  if (name.empty() || name.size() > max_length || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

constexpr size_t kFeatureBaseMaxTableName = 230;
constexpr size_t kFeatureBaseMaxColumnName = 64;

}  // namespace

// The mapping follows FeatureBase's SQL reference (docs.featurebase.com, sql-guide: "CREATE TABLE
// statement" and "Data types and constraints"): the key column `_id` is ID (unsigned integer) or
// STRING; value types are STRING, INT, DECIMAL(scale), BOOL, TIMESTAMP, ID, IDSET, STRINGSET,
// which are exactly the schema's types (IngestSchema's types are FeatureBase's minus time
// quantums). TIMESTAMP keeps FeatureBase's default TIMEUNIT 's'.
std::string FeatureBaseType(const Column& column) {
  switch (column.type) {
    case ColumnType::kString: return "STRING";
    case ColumnType::kInt: return "INT";
    case ColumnType::kDecimal: return "DECIMAL(" + std::to_string(column.scale) + ")";
    case ColumnType::kBool: return "BOOL";
    case ColumnType::kTimestamp: return "TIMESTAMP";
    case ColumnType::kId: return "ID";
    case ColumnType::kStringSet: return "STRINGSET";
    case ColumnType::kIdSet: return "IDSET";
  }
  return "STRING";
}

StatusOr<std::string> FeatureBaseDdl(const IngestSchema& schema, std::string_view table_name) {
  const std::string naming = " (FeatureBase names start with a lower-case letter and hold only a-z, 0-9, '_' and '-'";
  if (!IsFeatureBaseIdentifier(table_name, kFeatureBaseMaxTableName)) {
    return InvalidArgument("table name \"" + std::string(table_name) + "\" is not a FeatureBase identifier" + naming +
                           ", at most " + std::to_string(kFeatureBaseMaxTableName) + " characters)");
  }
  std::string out = "CREATE TABLE IF NOT EXISTS " + std::string(table_name) + " (_id " + FeatureBaseType(schema.id_column());
  const auto& columns = schema.columns();
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i == schema.id_index()) continue;
    if (!IsFeatureBaseIdentifier(columns[i].name, kFeatureBaseMaxColumnName)) {
      return InvalidArgument("column \"" + columns[i].name + "\" is not a FeatureBase identifier" + naming +
                             ", at most " + std::to_string(kFeatureBaseMaxColumnName) + " characters)");
    }
    out += ", " + columns[i].name + " " + FeatureBaseType(columns[i]);
  }
  out += ");";
  return out;
}

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
