// File: stages/schema_map/ingest_schema.cpp
// Schema and table loading with simdjson's DOM API (not a hot path); see ingest_schema.h.
#include "stages/schema_map/ingest_schema.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/json_string.h"

namespace sluice::stages {
namespace {

namespace dom = simdjson::dom;

struct TypeSpec {
  ColumnType type = ColumnType::kString;
  int scale = -1;  // from "decimal(S)"; -1 when not given
};

constexpr std::string_view kKnownTypes =
    "string, int, decimal, decimal(S), bool, timestamp, id, stringset, idset";

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

// Maps a type name (case-insensitive, with aliases) to a type; false when unknown.
bool ParseTypeName(std::string_view raw, TypeSpec* spec, std::string* error) {
  std::string name(raw);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::map<std::string, ColumnType, std::less<>> kNames = {
      {"string", ColumnType::kString},        {"text", ColumnType::kString},
      {"int", ColumnType::kInt},              {"integer", ColumnType::kInt},
      {"int64", ColumnType::kInt},            {"decimal", ColumnType::kDecimal},
      {"bool", ColumnType::kBool},            {"boolean", ColumnType::kBool},
      {"timestamp", ColumnType::kTimestamp},  {"datetime", ColumnType::kTimestamp},
      {"id", ColumnType::kId},                {"uint64", ColumnType::kId},
      {"unsigned", ColumnType::kId},          {"stringset", ColumnType::kStringSet},
      {"string_set", ColumnType::kStringSet}, {"idset", ColumnType::kIdSet},
      {"id_set", ColumnType::kIdSet},
  };
  if (auto it = kNames.find(name); it != kNames.end()) {
    spec->type = it->second;
    return true;
  }
  // FeatureBase SQL spelling: decimal(2)
  if (name.size() > 9 && name.compare(0, 8, "decimal(") == 0 && name.back() == ')') {
    const std::string digits = name.substr(8, name.size() - 9);
    if (!digits.empty() && digits.size() <= 2 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      spec->type = ColumnType::kDecimal;
      spec->scale = std::stoi(digits);
      if (spec->scale > 18) {
        *error = "decimal scale must be 0..18, got " + digits;
        return false;
      }
      return true;
    }
  }
  if (name == "number") {
    *error = "type \"number\" is ambiguous: use \"int\", or \"decimal\" with a \"scale\"";
  } else {
    *error = "unknown type " + Quote(raw) + " (known: " + std::string(kKnownTypes) + ")";
  }
  return false;
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return NotFound(path + ": cannot read file");
  *out = ss.str();
  return Status::Ok();
}

Status ParseDocument(dom::parser& parser, std::string_view json, std::string_view file,
                     dom::array* out) {
  simdjson::padded_string padded(json);
  dom::element root;
  if (auto e = parser.parse(padded).get(root); e) {
    return InvalidArgument(std::string(file) + ": invalid JSON: " + simdjson::error_message(e));
  }
  if (root.get_array().get(*out)) {
    return InvalidArgument(std::string(file) + ": must be a JSON list of column entries");
  }
  return Status::Ok();
}

// "file: entry 3 ("price"): "
std::string EntryPrefix(std::string_view file, size_t index, std::string_view name) {
  std::string p = std::string(file) + ": entry " + std::to_string(index + 1);
  if (!name.empty()) p += " (" + Quote(name) + ")";
  return p + ": ";
}

// Reads an optional "scale": -1 when absent.
Status ReadScale(dom::object entry, const std::string& prefix, int* scale) {
  *scale = -1;
  dom::element value;
  if (entry["scale"].get(value)) return Status::Ok();
  int64_t s = 0;
  if (value.get_int64().get(s) || s < 0 || s > 18) {
    return InvalidArgument(prefix + "\"scale\" must be an integer 0..18");
  }
  *scale = static_cast<int>(s);
  return Status::Ok();
}

Status CheckKeys(dom::object entry, const std::string& prefix,
                 std::initializer_list<std::string_view> allowed) {
  for (auto [key, value] : entry) {
    (void)value;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + Quote(a);
      return InvalidArgument(prefix + "unknown key " + Quote(key) + " (allowed: " + list + ")");
    }
  }
  return Status::Ok();
}

struct TableEntry {
  TypeSpec spec;
  size_t index = 0;
  bool used = false;
};

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

std::string PathToString(const std::vector<std::string>& path) {
  std::string out = "[";
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(out, path[i]);
  }
  out.push_back(']');
  return out;
}

StatusOr<IngestSchema> IngestSchema::Load(const std::string& schema_path,
                                          const std::string& table_path) {
  std::string schema_json;
  SLUICE_RETURN_IF_ERROR(ReadFile(schema_path, &schema_json));
  std::string table_json;
  if (!table_path.empty()) SLUICE_RETURN_IF_ERROR(ReadFile(table_path, &table_json));
  return FromJson(schema_json, table_json, schema_path, table_path);
}

StatusOr<IngestSchema> IngestSchema::FromJson(std::string_view schema_json,
                                              std::string_view table_json,
                                              std::string_view schema_name,
                                              std::string_view table_name) {
  // Table first: it supplies default types.
  std::map<std::string, TableEntry, std::less<>> table;
  dom::parser table_parser;
  if (!table_json.empty()) {
    dom::array entries;
    SLUICE_RETURN_IF_ERROR(ParseDocument(table_parser, table_json, table_name, &entries));
    size_t index = 0;
    for (dom::element element : entries) {
      std::string prefix = EntryPrefix(table_name, index, "");
      dom::object entry;
      if (element.get_object().get(entry)) {
        return InvalidArgument(prefix + "must be an object {\"name\", \"type\", \"scale\"?}");
      }
      std::string_view name;
      if (entry["name"].get_string().get(name) || name.empty()) {
        return InvalidArgument(prefix + "\"name\" must be a non-empty string");
      }
      prefix = EntryPrefix(table_name, index, name);
      SLUICE_RETURN_IF_ERROR(CheckKeys(entry, prefix, {"name", "type", "scale"}));
      std::string_view type_name;
      if (entry["type"].get_string().get(type_name)) {
        return InvalidArgument(prefix + "\"type\" must be a string");
      }
      TableEntry t;
      t.index = index;
      std::string error;
      if (!ParseTypeName(type_name, &t.spec, &error)) return InvalidArgument(prefix + error);
      int scale = -1;
      SLUICE_RETURN_IF_ERROR(ReadScale(entry, prefix, &scale));
      if (scale >= 0 && t.spec.type != ColumnType::kDecimal) {
        return InvalidArgument(prefix + "\"scale\" is only for decimal columns");
      }
      if (scale >= 0) t.spec.scale = scale;
      if (!table.emplace(std::string(name), t).second) {
        return InvalidArgument(prefix + "duplicate column name");
      }
      ++index;
    }
  }

  dom::parser schema_parser;
  dom::array entries;
  SLUICE_RETURN_IF_ERROR(ParseDocument(schema_parser, schema_json, schema_name, &entries));
  IngestSchema schema;
  std::map<std::string, size_t, std::less<>> names;
  bool has_id = false;
  size_t index = 0;
  for (dom::element element : entries) {
    std::string prefix = EntryPrefix(schema_name, index, "");
    dom::object entry;
    if (element.get_object().get(entry)) {
      return InvalidArgument(prefix + "must be an object {\"name\", \"path\", \"type\"?}");
    }
    std::string_view name;
    if (entry["name"].get_string().get(name) || name.empty()) {
      return InvalidArgument(prefix + "\"name\" must be a non-empty string");
    }
    prefix = EntryPrefix(schema_name, index, name);
    SLUICE_RETURN_IF_ERROR(CheckKeys(entry, prefix, {"name", "path", "type", "scale"}));
    Column column;
    column.name = std::string(name);
    dom::array path;
    if (entry["path"].get_array().get(path) || path.size() == 0) {
      return InvalidArgument(prefix + "\"path\" must be a non-empty list of strings");
    }
    for (dom::element key : path) {
      std::string_view k;
      if (key.get_string().get(k)) {
        return InvalidArgument(prefix + "\"path\" must be a non-empty list of strings");
      }
      column.path.emplace_back(k);
    }
    TypeSpec spec;
    dom::element type_element;
    auto table_it = table.find(name);
    if (!entry["type"].get(type_element)) {
      std::string_view type_name;
      if (type_element.get_string().get(type_name)) {
        return InvalidArgument(prefix + "\"type\" must be a string");
      }
      std::string error;
      if (!ParseTypeName(type_name, &spec, &error)) return InvalidArgument(prefix + error);
    } else if (table_it != table.end()) {
      spec = table_it->second.spec;
    }
    if (table_it != table.end()) table_it->second.used = true;
    int scale = -1;
    SLUICE_RETURN_IF_ERROR(ReadScale(entry, prefix, &scale));
    if (scale >= 0 && spec.type != ColumnType::kDecimal) {
      return InvalidArgument(prefix + "\"scale\" is only for decimal columns");
    }
    if (scale < 0) scale = spec.scale;
    if (spec.type == ColumnType::kDecimal && scale < 0 && table_it != table.end() &&
        table_it->second.spec.type == ColumnType::kDecimal) {
      scale = table_it->second.spec.scale;
    }
    if (spec.type == ColumnType::kDecimal && scale < 0) {
      return InvalidArgument(prefix + "decimal needs a \"scale\" (here or in the table)");
    }
    column.type = spec.type;
    column.scale = spec.type == ColumnType::kDecimal ? scale : 0;
    if (column.name == "_id") {
      if (column.type != ColumnType::kId && column.type != ColumnType::kString) {
        return InvalidArgument(prefix + "_id must be of type id or string, not " +
                               std::string(ColumnTypeName(column.type)));
      }
      has_id = true;
      schema.id_index_ = schema.columns_.size();
    }
    if (auto [it, inserted] = names.emplace(column.name, index); !inserted) {
      return InvalidArgument(prefix + "duplicate column name (first at entry " +
                             std::to_string(it->second + 1) + ")");
    }
    // Paths must form a tree: no two columns read the same value, and no value is both a
    // column and an object holding other columns.
    for (size_t other = 0; other < schema.columns_.size(); ++other) {
      const auto& op = schema.columns_[other].path;
      const size_t common = std::min(op.size(), column.path.size());
      if (std::equal(op.begin(), op.begin() + common, column.path.begin())) {
        const std::string what = op.size() == column.path.size()
                                     ? "has the same path as"
                                     : "has a path that overlaps the path of";
        return InvalidArgument(prefix + what + " entry " + std::to_string(names[schema.columns_[other].name] + 1) +
                               " (" + Quote(schema.columns_[other].name) + ")");
      }
    }
    schema.columns_.push_back(std::move(column));
    ++index;
  }
  if (!has_id) {
    return InvalidArgument(std::string(schema_name) +
                           ": no \"_id\" entry (the record key column is required)");
  }
  for (const auto& [name, t] : table) {
    if (!t.used) {
      return InvalidArgument(EntryPrefix(table_name, t.index, name) +
                             "column is not in the schema " + std::string(schema_name));
    }
  }
  return schema;
}

}  // namespace sluice::stages
