#include "tests/integration/integration_env.h"

#include <librdkafka/rdkafka.h>
#include <simdjson.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "stages/generator_source/flight_generator.h"

namespace sluice::it {

namespace {

/// The first executable file `name` in $PATH's directories; empty when there is none.
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':'))
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  return "";
}

}  // namespace

bool HaveKcat() { return !FindOnPath("kcat").empty(); }

std::string MakeTempDir() { return testing::MakeTempDir("it"); }

void RemoveTree(const std::string& dir) {
  if (dir.find("/sluice-it-") == std::string::npos) return;  // only what MakeTempDir made
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// ---------------------------------------------------------------------------------------------
// Processes

testing::ProcessOptions SluiceRun::Options() const {
  testing::ProcessOptions o = testing::SluiceRunOptions(args, env);
  o.stdin_path = stdin_path;
  return o;
}

namespace {
SluiceRun BaseRun(const EmulatorProcess& emu, const std::string& sink) {
  SluiceRun r;
  r.args = testing::SinkArgs(emu, sink);
  r.env = testing::CredentialEnv(kAccount);
  return r;
}
}  // namespace

SluiceRun KafkaRun(const EmulatorProcess& emu, const std::string& sink, const std::string& brokers,
                   const std::string& topic, const std::string& group) {
  SluiceRun r = BaseRun(emu, sink);
  const std::vector<std::string> kafka = testing::KafkaArgs(brokers, topic, group);
  r.args.insert(r.args.end(), kafka.begin(), kafka.end());
  return r;
}

SluiceRun FileRun(const EmulatorProcess& emu, const std::string& sink, const std::string& source) {
  SluiceRun r = BaseRun(emu, sink);
  r.args.insert(r.args.end(), {"--source", source});
  return r;
}

testing::ProcessResult KcatProduceFile(const std::string& brokers, const std::string& topic, const std::string& file,
                                       int partition) {
  testing::ProcessOptions o;
  o.argv = {"/usr/bin/kcat", "-P", "-b", brokers, "-t", topic, "-l", file};
  if (partition >= 0) o.argv.insert(o.argv.end(), {"-p", std::to_string(partition)});
  // kcat may live elsewhere on PATH; posix_spawn does not search it, so resolve here.
  const std::string found = FindOnPath("kcat");
  if (!found.empty()) o.argv[0] = found;
  return testing::RunProcess(o, 60000);
}

// ---------------------------------------------------------------------------------------------
// Rows

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
    if (c >= '0' && c <= '9') *v |= static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') *v |= static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') *v |= static_cast<uint32_t>(c - 'A' + 10);
    else return false;
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

ExpectedRows::ExpectedRows() {
  simdjson::dom::parser parser;
  simdjson::dom::element schema;
  simdjson::padded_string schema_text(ReadFileText(SchemaPath()));
  if (parser.parse(schema_text).get(schema) || !schema.is_array()) {
    error_ = "cannot read " + SchemaPath();
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
  simdjson::padded_string table_text(ReadFileText(TablePath()));
  if (parser2.parse(table_text).get(table) || !table.is_array()) {
    error_ = "cannot read " + TablePath();
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
      if (v.is_string()) s.text = std::string(v.get_string().value());
      else if (v.is_number() || v.is_bool()) s.text = simdjson::minify(v);
      else return error_ = "column " + c.name + " is not a scalar in " + json, false;
    } else if (c.type == "id") {
      uint64_t id = 0;
      if (v.get_uint64().get(id)) return error_ = "bad _id in " + json, false;
      s.text = std::to_string(id);
    } else if (c.type == "decimal") {
      if (!v.is_number()) return error_ = "column " + c.name + " is not a number in " + json, false;
      s.text = ToScale(simdjson::minify(v), c.scale);
      if (s.text.empty()) return error_ = "column " + c.name + " does not fit its scale in " + json, false;
    } else {
      return error_ = "column type " + c.type + " not handled by the test", false;
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
      if (first.empty()) first = "id " + id->second.text + ": sink " + Describe(row) + " expected " + Describe(want->second);
    }
  }
  uint64_t missing = 0;
  for (const auto& [id, row] : expected) {
    if (seen.count(id)) continue;
    ++missing;
    if (first.empty()) first = "missing id " + id;
  }
  if (unexpected + differing + duplicated + missing == 0) return "";
  return std::to_string(seen.size()) + " rows, " + std::to_string(expected.size()) + " expected: " +
         std::to_string(missing) + " missing, " + std::to_string(unexpected) + " unexpected, " +
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

// ---------------------------------------------------------------------------------------------
// Kafka

namespace {

rd_kafka_t* NewConsumer(const std::string& brokers, const std::string& group, std::string* error) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    *error = err;
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    *error = err;
    rd_kafka_conf_destroy(conf);
  }
  return rk;
}

}  // namespace

std::vector<int64_t> CommittedOffsets(const std::string& brokers, const std::string& group, const std::string& topic,
                                      int partitions, std::string* error) {
  rd_kafka_t* rk = NewConsumer(brokers, group, error);
  if (rk == nullptr) return {};
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  std::vector<int64_t> out;
  const rd_kafka_resp_err_t err = rd_kafka_committed(rk, list, 15000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("rd_kafka_committed: ") + rd_kafka_err2str(err);
  } else {
    out.assign(static_cast<size_t>(partitions), RD_KAFKA_OFFSET_INVALID);
    for (int i = 0; i < list->cnt; ++i) {
      const auto& tp = list->elems[i];
      if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *error = std::string("partition ") + std::to_string(tp.partition) + ": " + rd_kafka_err2str(tp.err);
        out.clear();
        break;
      }
      out[static_cast<size_t>(tp.partition)] = tp.offset;
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  return out;
}

std::vector<int64_t> HighWatermarks(const std::string& brokers, const std::string& topic, int partitions,
                                    std::string* error) {
  rd_kafka_t* rk = NewConsumer(brokers, "sluice-it-watermarks", error);
  if (rk == nullptr) return {};
  std::vector<int64_t> out;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 15000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = std::string("watermarks: ") + rd_kafka_err2str(err);
      out.clear();
      break;
    }
    if (low != 0) {
      *error = "partition " + std::to_string(p) + " lost records (low watermark " + std::to_string(low) +
               "): the mock keeps ~5 MiB per partition";
      out.clear();
      break;
    }
    out.push_back(high);
  }
  rd_kafka_destroy(rk);
  return out;
}

}  // namespace sluice::it
