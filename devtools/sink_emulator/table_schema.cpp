#include "devtools/sink_emulator/table_schema.h"

#include <simdjson.h>

#include <fstream>
#include <sstream>

namespace sluice::emulator {
namespace {

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

StatusOr<ColumnType> ParseType(std::string_view t) {
  if (t == "string") return ColumnType::kString;
  if (t == "int") return ColumnType::kInt;
  if (t == "decimal") return ColumnType::kDecimal;
  if (t == "bool") return ColumnType::kBool;
  if (t == "timestamp") return ColumnType::kTimestamp;
  if (t == "id") return ColumnType::kId;
  if (t == "stringset") return ColumnType::kStringSet;
  if (t == "idset") return ColumnType::kIdSet;
  return InvalidArgument("unknown column type '" + std::string(t) + "'");
}

}  // namespace

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString: return "string";
    case ColumnType::kInt: return "int";
    case ColumnType::kDecimal: return "decimal";
    case ColumnType::kBool: return "bool";
    case ColumnType::kTimestamp: return "timestamp";
    case ColumnType::kId: return "id";
    case ColumnType::kStringSet: return "stringset";
    case ColumnType::kIdSet: return "idset";
  }
  return "?";
}

StatusOr<std::vector<TableColumn>> ParseTable(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root)) return InvalidArgument("table: invalid JSON");
  simdjson::dom::array arr;
  if (root.get_array().get(arr)) return InvalidArgument("table: expected a JSON array");
  std::vector<TableColumn> out;
  bool has_id = false;
  for (simdjson::dom::element e : arr) {
    std::string_view name, type;
    if (e["name"].get_string().get(name)) return InvalidArgument("table: column without name");
    if (e["type"].get_string().get(type)) {
      return InvalidArgument("table: column '" + std::string(name) + "' without type");
    }
    StatusOr<ColumnType> ct = ParseType(type);
    if (!ct.ok()) return ct.status().WithContext("table column " + std::string(name));
    TableColumn col{std::string(name), *ct, 0};
    int64_t scale = 0;
    if (!e["scale"].get_int64().get(scale)) {
      if (scale < 0 || scale > 18) return InvalidArgument("table: scale must be within [0, 18]");
      col.scale = static_cast<uint32_t>(scale);
    }
    for (const auto& c : out) {
      if (c.name == col.name) return InvalidArgument("table: duplicate column " + col.name);
    }
    if (col.name == "_id") {
      has_id = true;
      if (col.type != ColumnType::kId && col.type != ColumnType::kString) {
        return InvalidArgument("table: _id must be of type id or string");
      }
    }
    out.push_back(std::move(col));
  }
  if (!has_id) return InvalidArgument("table: no _id column");
  return out;
}

StatusOr<std::vector<TableColumn>> LoadTable(const std::string& path) {
  StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTable(*text);
}

StatusOr<std::vector<SchemaField>> ParseIngestSchema(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root)) return InvalidArgument("schema: invalid JSON");
  simdjson::dom::array arr;
  if (root.get_array().get(arr)) return InvalidArgument("schema: expected a JSON array");
  std::vector<SchemaField> out;
  for (simdjson::dom::element e : arr) {
    std::string_view name;
    if (e["name"].get_string().get(name)) return InvalidArgument("schema: field without name");
    simdjson::dom::array path;
    if (e["path"].get_array().get(path)) {
      return InvalidArgument("schema: field '" + std::string(name) + "' without path array");
    }
    SchemaField f{std::string(name), {}};
    for (simdjson::dom::element p : path) {
      std::string_view seg;
      if (p.get_string().get(seg)) return InvalidArgument("schema: path segments must be strings");
      f.path.emplace_back(seg);
    }
    if (f.path.empty()) return InvalidArgument("schema: empty path for " + f.name);
    out.push_back(std::move(f));
  }
  return out;
}

StatusOr<std::vector<SchemaField>> LoadIngestSchema(const std::string& path) {
  StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseIngestSchema(*text);
}

}  // namespace sluice::emulator
