#include "app/demo/expected_rows.h"

#include <simdjson.h>

#include <fstream>
#include <set>
#include <sstream>

#include "stages/generator_source/flight_generator.h"

namespace sluice::expect {

namespace {

std::string ReadText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

namespace {

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool ParseHex4(const std::string& s, size_t at, uint32_t* v) {
  if (at + 4 > s.size()) return false;
  *v = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = s[i];
    *v <<= 4;
    if (c >= '0' && c <= '9')
      *v |= static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      *v |= static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      *v |= static_cast<uint32_t>(c - 'A' + 10);
    else
      return false;
  }
  return true;
}

/// Parses a JSON string starting at s[*i] == '"'; leaves *i after the closing quote.
bool ParseString(const std::string& s, size_t* i, std::string* out) {
  if (*i >= s.size() || s[*i] != '"') return false;
  ++*i;
  out->clear();
  while (*i < s.size()) {
    const char c = s[*i];
    if (c == '"') {
      ++*i;
      return true;
    }
    if (c != '\\') {
      *out += c;
      ++*i;
      continue;
    }
    if (*i + 1 >= s.size()) return false;
    const char e = s[*i + 1];
    *i += 2;
    switch (e) {
      case '"': *out += '"'; break;
      case '\\': *out += '\\'; break;
      case '/': *out += '/'; break;
      case 'b': *out += '\b'; break;
      case 'f': *out += '\f'; break;
      case 'n': *out += '\n'; break;
      case 'r': *out += '\r'; break;
      case 't': *out += '\t'; break;
      case 'u': {
        uint32_t cp = 0;
        if (!ParseHex4(s, *i, &cp)) return false;
        *i += 4;
        if (cp >= 0xD800 && cp < 0xDC00) {
          uint32_t lo = 0;
          if (*i + 6 > s.size() || s[*i] != '\\' || s[*i + 1] != 'u' || !ParseHex4(s, *i + 2, &lo)) return false;
          *i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        AppendUtf8(*out, cp);
        break;
      }
      default: return false;
    }
  }
  return false;
}

void SkipWs(const std::string& s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r')) ++*i;
}

}  // namespace

bool ParseFlatRow(const std::string& line, Row* row, std::string* error) {
  row->clear();
  size_t i = 0;
  SkipWs(line, &i);
  if (i >= line.size() || line[i] != '{') return *error = "row is not an object: " + line, false;
  ++i;
  SkipWs(line, &i);
  if (i < line.size() && line[i] == '}') return true;
  while (true) {
    SkipWs(line, &i);
    std::string key;
    if (!ParseString(line, &i, &key)) return *error = "bad key in row: " + line, false;
    SkipWs(line, &i);
    if (i >= line.size() || line[i] != ':') return *error = "missing ':' in row: " + line, false;
    ++i;
    SkipWs(line, &i);
    Scalar v;
    if (i < line.size() && line[i] == '"') {
      v.is_string = true;
      if (!ParseString(line, &i, &v.text)) return *error = "bad string in row: " + line, false;
    } else {
      const size_t start = i;
      while (i < line.size() && line[i] != ',' && line[i] != '}' && line[i] != ' ') {
        if (line[i] == '{' || line[i] == '[') return *error = "row is not flat: " + line, false;
        ++i;
      }
      v.text = line.substr(start, i - start);
      if (v.text.empty()) return *error = "empty value in row: " + line, false;
    }
    if (row->count(key)) return *error = "duplicate key \"" + key + "\" in row: " + line, false;
    (*row)[key] = std::move(v);
    SkipWs(line, &i);
    if (i < line.size() && line[i] == ',') {
      ++i;
      continue;
    }
    if (i < line.size() && line[i] == '}') return true;
    return *error = "bad row: " + line, false;
  }
}

namespace {

std::string Describe(const Row& r) {
  std::string s = "{";
  for (const auto& [k, v] : r) {
    if (s.size() > 1) s += ", ";
    s += k + "=" + (v.is_string ? "\"" + v.text + "\"" : v.text);
  }
  return s + "}";
}

/// Number text with exactly `scale` fractional digits; empty when that would lose digits.
std::string ToScale(const std::string& text, int scale) {
  if (text.find_first_of("eE") != std::string::npos) return "";
  std::string whole = text, frac;
  const size_t dot = text.find('.');
  if (dot != std::string::npos) {
    whole = text.substr(0, dot);
    frac = text.substr(dot + 1);
  }
  while (static_cast<int>(frac.size()) > scale && frac.back() == '0') frac.pop_back();
  if (static_cast<int>(frac.size()) > scale) return "";
  while (static_cast<int>(frac.size()) < scale) frac += '0';
  return scale > 0 ? whole + "." + frac : whole;
}

}  // namespace

ExpectedRows::ExpectedRows(const std::string& schema_path, const std::string& table_path) {
  simdjson::dom::parser parser;
  simdjson::dom::element schema;
  simdjson::padded_string schema_text(ReadText(schema_path));
  if (parser.parse(schema_text).get(schema) || !schema.is_array()) {
    error_ = "cannot read " + schema_path;
    return;
  }
  for (simdjson::dom::element e : schema.get_array()) {
    Column c;
    std::string_view name;
    if (e["name"].get_string().get(name)) {
      error_ = "schema entry without a name";
      return;
    }
    c.name = std::string(name);
    for (simdjson::dom::element k : e["path"].get_array()) c.path.emplace_back(k.get_string().value());
    std::string_view type;
    if (!e["type"].get_string().get(type)) c.type = std::string(type);
    columns_.push_back(std::move(c));
  }
  simdjson::dom::parser parser2;
  simdjson::dom::element table;
  simdjson::padded_string table_text(ReadText(table_path));
  if (parser2.parse(table_text).get(table) || !table.is_array()) {
    error_ = "cannot read " + table_path;
    return;
  }
  for (simdjson::dom::element e : table.get_array()) {
    std::string_view name = e["name"].get_string().value();
    std::string_view type = e["type"].get_string().value();
    int64_t scale = 0;
    if (e["scale"].get_int64().get(scale)) scale = 0;
    for (Column& c : columns_) {
      if (c.name != name) continue;
      if (c.type.empty()) c.type = std::string(type);
      c.scale = static_cast<int>(scale);
    }
  }
  for (Column& c : columns_)
    if (c.type.empty()) c.type = "string";
}

bool ExpectedRows::Add(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element rec;
  simdjson::padded_string padded(json);
  if (parser.parse(padded).get(rec) || !rec.is_object()) {
    error_ = "not a JSON object: " + json;
    return false;
  }
  Row row;
  for (const Column& c : columns_) {
    simdjson::dom::element v = rec;
    bool found = true;
    for (const auto& k : c.path) {
      if (!v.is_object() || v.at_key(k).get(v)) {
        found = false;
        break;
      }
    }
    if (!found || v.is_null()) continue;
    Scalar s;
    if (c.type == "string") {
      s.is_string = true;
      if (v.is_string())
        s.text = std::string(v.get_string().value());
      else if (v.is_number() || v.is_bool())
        s.text = simdjson::minify(v);
      else
        return error_ = "column " + c.name + " is not a scalar in " + json, false;
    } else if (c.type == "id") {
      uint64_t id = 0;
      if (v.get_uint64().get(id)) return error_ = "bad _id in " + json, false;
      s.text = std::to_string(id);
    } else if (c.type == "decimal") {
      if (!v.is_number()) return error_ = "column " + c.name + " is not a number in " + json, false;
      s.text = ToScale(simdjson::minify(v), c.scale);
      if (s.text.empty()) return error_ = "column " + c.name + " does not fit its scale in " + json, false;
    } else {
      return error_ = "column type " + c.type + " not handled by the expectation", false;
    }
    row[c.name] = std::move(s);
  }
  auto id = row.find("_id");
  if (id == row.end()) return error_ = "no _id in " + json, false;
  rows_[id->second.text] = std::move(row);
  return true;
}

bool ExpectedRows::AddGenerated(uint64_t seed, uint64_t count, uint64_t first_id) {
  FlightGenerator gen(seed, first_id);
  std::string json;
  for (uint64_t i = 0; i < count; ++i) {
    json.clear();
    gen.Next(json);
    if (!Add(json)) return false;
  }
  return true;
}

std::string CompareRows(const std::string& rows_ndjson, const std::map<std::string, Row>& expected) {
  std::istringstream lines(rows_ndjson);
  std::string line, error;
  std::set<std::string> seen;
  uint64_t unexpected = 0, differing = 0, duplicated = 0;
  std::string first;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    Row row;
    if (!ParseFlatRow(line, &row, &error)) return error;
    auto id = row.find("_id");
    if (id == row.end()) return "row without _id: " + line;
    if (!seen.insert(id->second.text).second) {
      ++duplicated;
      if (first.empty()) first = "id " + id->second.text + " listed twice";
      continue;
    }
    auto want = expected.find(id->second.text);
    if (want == expected.end()) {
      ++unexpected;
      if (first.empty()) first = "unexpected id " + id->second.text;
      continue;
    }
    if (want->second != row) {
      ++differing;
      if (first.empty())
        first = "id " + id->second.text + ": sink " + Describe(row) + " expected " + Describe(want->second);
    }
  }
  uint64_t missing = 0;
  for (const auto& [id, row] : expected) {
    if (seen.count(id)) continue;
    ++missing;
    if (first.empty()) first = "missing id " + id;
  }
  if (unexpected + differing + duplicated + missing == 0) return "";
  return std::to_string(seen.size()) + " rows, " + std::to_string(expected.size()) +
         " expected: " + std::to_string(missing) + " missing, " + std::to_string(unexpected) + " unexpected, " +
         std::to_string(differing) + " differ, " + std::to_string(duplicated) + " listed twice; first: " + first;
}

std::vector<std::string> RowIds(const std::string& rows_ndjson) {
  std::vector<std::string> ids;
  std::istringstream lines(rows_ndjson);
  std::string line, error;
  while (std::getline(lines, line)) {
    Row row;
    if (line.empty() || !ParseFlatRow(line, &row, &error)) continue;
    auto id = row.find("_id");
    if (id != row.end()) ids.push_back(id->second.text);
  }
  return ids;
}

}  // namespace sluice::expect
