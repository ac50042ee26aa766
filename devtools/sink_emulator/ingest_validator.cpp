#include "devtools/sink_emulator/ingest_validator.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>

#include "devtools/sink_emulator/ingest_scratch.h"
#include "devtools/sink_emulator/ingest_slots.h"
#include "devtools/sink_emulator/json_text.h"

// The validator is split by concern: the path trie and the choice of walk here, the On-Demand
// walk in ingest_walk.cpp, the byte-level fast path in ingest_fast_path.cpp, normalization and
// row building in ingest_rows.cpp, and what they share in ingest_slots.h / ingest_scratch.h.

namespace sluice::emulator {

static_assert(kBodyPadding >= simdjson::SIMDJSON_PADDING, "kBodyPadding must cover simdjson's padding");

ParseScratch::ParseScratch() : impl_(std::make_unique<Impl>()) {}
ParseScratch::~ParseScratch() = default;

StatusOr<std::unique_ptr<IngestValidator>> IngestValidator::Create(std::vector<TableColumn> table,
                                                                   const std::vector<SchemaField>& schema) {
  std::unique_ptr<IngestValidator> v(new IngestValidator());
  auto id_it = std::find_if(table.begin(), table.end(), [](const TableColumn& c) { return c.name == "_id"; });
  if (id_it == table.end()) return InvalidArgument("table has no _id column");
  std::rotate(table.begin(), id_it, id_it + 1);  // _id first, others keep their order
  v->numeric_id_ = table[0].type == ColumnType::kId;
  v->table_ = std::move(table);
  v->nodes_.emplace_back();
  for (size_t c = 0; c < v->table_.size(); ++c) {
    std::string prefix(c == 0 ? "{" : ",");
    AppendJsonString(prefix, v->table_[c].name);
    prefix.push_back(':');
    v->key_prefix_.push_back(std::move(prefix));
    int node = v->AddChild(0, v->table_[c].name);
    v->nodes_[node].fallback_columns.push_back(static_cast<int>(c));
  }
  v->layout_ = std::make_shared<const RowLayout>(v->key_prefix_);
  for (const SchemaField& f : schema) {
    auto it = std::find_if(v->table_.begin(), v->table_.end(),
                           [&](const TableColumn& c) { return c.name == f.name; });
    if (it == v->table_.end()) {
      return InvalidArgument("schema field '" + f.name + "' is not a column of the table");
    }
    int node = 0;
    for (const std::string& seg : f.path) node = v->AddChild(node, seg);
    v->nodes_[node].primary_columns.push_back(static_cast<int>(it - v->table_.begin()));
  }
  for (size_t c = 0; c < v->table_.size(); ++c) {
    v->padded_column_names_.push_back(v->table_[c].name + std::string(8, '\0'));
    const PathNode& pn = v->nodes_[v->ChildOf(0, v->table_[c].name)];
    bool only_c = pn.fallback_columns.size() == 1 && pn.fallback_columns[0] == static_cast<int>(c);
    for (int pc : pn.primary_columns) only_c = only_c && pc == static_cast<int>(c);
    v->direct_ok_.push_back(only_c ? 1 : 0);
    if (only_c) v->direct_columns_ = true;
  }
  v->direct_columns_ = v->direct_columns_ && v->raw_keys_ && v->table_.size() <= 64;
  return v;
}

int IngestValidator::ChildOf(int node, std::string_view key, size_t* hint) const {
  const auto& children = nodes_[node].children;
  const size_t n = children.size();
  for (size_t k = 0, j = *hint; k < n; ++k, ++j) {
    if (j >= n) j = 0;
    if (children[j].first == key) {
      *hint = j + 1;
      return children[j].second;
    }
  }
  return -1;
}

int IngestValidator::ChildOf(int node, std::string_view key) const {
  for (const auto& [k, idx] : nodes_[node].children) {
    if (k == key) return idx;
  }
  return -1;
}

int IngestValidator::AddChild(int node, const std::string& key) {
  for (char c : key) {
    // Raw key matching (Walker::RawChildOf) needs names a JSON key spells byte for byte.
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) raw_keys_ = false;
  }
  int existing = ChildOf(node, key);
  if (existing >= 0) return existing;
  nodes_.emplace_back();
  int idx = static_cast<int>(nodes_.size() - 1);
  nodes_[node].children.emplace_back(key, idx);
  nodes_[node].padded_names.push_back(key + std::string(8, '\0'));
  return idx;
}

Status IngestValidator::Validate(ParseScratch& scratch, const char* data, size_t size, size_t capacity,
                                 const std::vector<std::string>& reject_ids, IngestResult* out) const {
  // Without simdjson's padding the full walk refuses the body, so the fast path must not take it.
  if (capacity >= size + simdjson::SIMDJSON_PADDING &&
      TryValidateFast(scratch, data, size, reject_ids, out)) {
    return Status::Ok();
  }
  return ValidateFullWalk(scratch, data, size, capacity, reject_ids, out);
}

}  // namespace sluice::emulator
