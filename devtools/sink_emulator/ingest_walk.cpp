// File: devtools/sink_emulator/ingest_walk.cpp
// IngestValidator's full walk: every body the fast path does not take is parsed with simdjson
// On-Demand (ValidateFullWalk), its mapped keys matched against the path trie (Walker) and
// their values captured into the per-column Slots (ReadScalar) that BuildRow (ingest_rows.cpp)
// turns into rows. Built with the WESTMERE flags (ingest_scratch.h says why).
// Thread-safety: the validator is immutable; each caller passes its own ParseScratch.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>

#include "devtools/sink_emulator/ingest_scratch.h"
#include "devtools/sink_emulator/ingest_slots.h"
#include "devtools/sink_emulator/ingest_validator.h"
#include "devtools/sink_emulator/json_text.h"

namespace sluice::emulator {

namespace od = simdjson::ondemand;

namespace {

using ingest::Scalar;
using ingest::WordsEqual;
using Slot = IngestValidator::Slot;

Status Malformed(simdjson::error_code e) {
  return InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(e));
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// Reads a scalar into `out`. Errors are structural (the body is malformed).
Status ReadScalar(od::value v, od::json_type t, Scalar* out) {
  switch (t) {
    case od::json_type::string: {
      // A string without a backslash is its own normalized form: stage 1 has already checked
      // UTF-8 and refused raw control characters, so the raw bytes need neither unescaping nor
      // escaping. Only strings with escapes are unescaped (and re-escaped when written).
      std::string_view raw = TrimRight(v.raw_json_token());
      if (raw.size() >= 2 && raw.back() == '"' && std::memchr(raw.data() + 1, '\\', raw.size() - 2) == nullptr) {
        out->kind = ValueKind::kString;
        out->text = raw.substr(1, raw.size() - 2);
        out->plain = true;
        return Status::Ok();
      }
      std::string_view s;
      if (auto e = v.get_string().get(s)) return Malformed(e);
      out->kind = ValueKind::kString;
      out->text = s;
      out->plain = false;
      return Status::Ok();
    }
    case od::json_type::number: {
      std::string_view raw = TrimRight(v.raw_json_token());
      if (!IsJsonNumber(raw)) return InvalidArgument("malformed JSON: bad number");
      out->kind = ValueKind::kNumber;
      out->text = raw;
      out->plain = true;
      return Status::Ok();
    }
    case od::json_type::boolean: {
      bool b = false;
      if (auto e = v.get_bool().get(b)) return Malformed(e);
      out->kind = ValueKind::kBool;
      out->text = b ? "true" : "false";
      out->plain = false;  // a literal, not a view into the body
      return Status::Ok();
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return Malformed(e);
      if (!is_null) return InvalidArgument("malformed JSON: bad literal");
      out->kind = ValueKind::kNull;
      out->text = {};
      return Status::Ok();
    }
    case od::json_type::object:
      out->kind = ValueKind::kObject;
      out->text = {};  // no text: nothing may read a view left by an earlier body
      out->plain = false;
      return Status::Ok();
    case od::json_type::array:
      out->kind = ValueKind::kArray;
      out->text = {};
      out->plain = false;
      return Status::Ok();
  }
  return InvalidArgument("malformed JSON: unknown value type");
}

}  // namespace

struct IngestValidator::Walker {
  /// The child of `node` whose name equals the raw key at `raw` (just after its opening
  /// quote), or -1. Sets *escaped when no child matched and the key holds a backslash.
  static int RawChildOf(const IngestValidator& v, int node, const char* raw, size_t* hint, bool* escaped) {
    const auto& children = v.nodes_[node].children;
    const size_t n = children.size();
    for (size_t k = 0, j = *hint; k < n; ++k, ++j) {
      if (j >= n) j = 0;
      const std::string& name = children[j].first;
      const size_t len = name.size();
      bool match;
      if (len + 8 <= kBodyPadding) {
        // The key starts inside the body, so up to len + 8 bytes from it are still within the
        // body's padding, and padded_names holds 8 bytes after each name: compare a word at a
        // time. A name has no quote or backslash, so equal bytes followed by '"' are exactly
        // the whole key.
        match = raw[len] == '"' && WordsEqual(raw, v.nodes_[node].padded_names[j].data(), len);
      } else {
        // Byte by byte: the loop stops at the key's closing quote and never reads past it.
        size_t i = 0;
        while (i < len && raw[i] == name[i]) ++i;
        match = i == len && raw[i] == '"';
      }
      if (match) {
        *hint = j + 1;
        return children[j].second;
      }
    }
    for (size_t i = 0; raw[i] != '"'; ++i) {
      if (raw[i] == '\\') {
        *escaped = true;
        break;
      }
    }
    return -1;
  }
  static Status Walk(const IngestValidator& v, od::value& value, int node, std::vector<Slot>* primary,
                     std::vector<Slot>* fallback);
  static Status Capture(const IngestValidator& v, od::value& value, int node, std::vector<Slot>* primary,
                        std::vector<Slot>* fallback);
};

Status IngestValidator::Walker::Walk(const IngestValidator& v, od::value& value, int node, std::vector<Slot>* primary,
                                     std::vector<Slot>* fallback) {
  od::object obj;
  if (auto e = value.get_object().get(obj)) return Malformed(e);
  size_t hint = 0;  // records of one feed share a key order: try the next child first
  for (auto field_result : obj) {
    // Used in place: copying the field out (get()) cost a store-forwarding stall per field.
    if (auto e = field_result.error()) return Malformed(e);
    od::field&& field = std::move(field_result).value_unsafe();
    // Match the key as it is in the body first: unescaping copies it through a call into the
    // library per field. Only a key with a backslash can unescape to a different text, so
    // only such a key that matched nothing is unescaped and looked up again.
    bool escaped = false;
    int child = v.raw_keys_ ? RawChildOf(v, node, field.key().raw(), &hint, &escaped) : -1;
    if (child < 0 && (escaped || !v.raw_keys_)) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return Malformed(e);
      child = v.ChildOf(node, key, &hint);
    }
    if (child < 0) continue;  // not mapped: On-Demand skips it
    od::value& child_value = field.value();
    SLUICE_RETURN_IF_ERROR(Capture(v, child_value, child, primary, fallback));
  }
  return Status::Ok();
}

Status IngestValidator::Walker::Capture(const IngestValidator& v, od::value& value, int node,
                                        std::vector<Slot>* primary, std::vector<Slot>* fallback) {
  const PathNode& pn = v.nodes_[node];
  od::json_type type;
  if (auto e = value.type().get(type)) return Malformed(e);
  Slot captured;
  Slot* target = pn.TargetSlot(primary, fallback);
  if (target == nullptr) target = &captured;  // intermediate node only
  target->elems.clear();
  SLUICE_RETURN_IF_ERROR(ReadScalar(value, type, target));
  if (type == od::json_type::array) {
    od::array arr;
    if (auto e = value.get_array().get(arr)) return Malformed(e);
    for (auto el_result : arr) {
      od::value el;
      if (auto e = std::move(el_result).get(el)) return Malformed(e);
      od::json_type et;
      if (auto e = el.type().get(et)) return Malformed(e);
      Scalar item;
      SLUICE_RETURN_IF_ERROR(ReadScalar(el, et, &item));
      target->elems.push_back(item);
    }
  } else if (type == od::json_type::object && !pn.children.empty()) {
    SLUICE_RETURN_IF_ERROR(Walk(v, value, node, primary, fallback));
  }
  // Copy to the other columns that map the same path (rare).
  for (int c : pn.primary_columns) {
    if (&(*primary)[c] != target) (*primary)[c] = *target;
  }
  for (int c : pn.fallback_columns) {
    if (&(*fallback)[c] != target) (*fallback)[c] = *target;
  }
  return Status::Ok();
}

Status IngestValidator::ValidateFullWalk(ParseScratch& scratch, const char* data, size_t size, size_t capacity,
                                         const std::vector<std::string>& reject_ids, IngestResult* out) const {
  out->records_received = 0;
  out->text.clear();
  out->rows.clear();
  out->errors.clear();
  out->layout = layout_.get();
  od::document doc;
  if (auto e = scratch.impl()->parser.iterate(data, size, capacity).get(doc)) return Malformed(e);
  od::object root;
  if (doc.get_object().get(root)) {
    return InvalidArgument("body must be a JSON object with a \"records\" array");
  }
  std::vector<Slot>& primary = scratch.impl()->primary;
  std::vector<Slot>& fallback = scratch.impl()->fallback;
  primary.resize(table_.size());
  fallback.resize(table_.size());
  bool saw_records = false;
  for (auto field_result : root) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) return Malformed(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Malformed(e);
    if (key != "records") continue;
    if (saw_records) return InvalidArgument("duplicate \"records\" key");
    saw_records = true;
    od::array records;
    if (field.value().get_array().get(records)) return InvalidArgument("\"records\" must be an array");
    size_t index = 0;
    for (auto rec_result : records) {
      od::value rec;
      if (auto e = std::move(rec_result).get(rec)) return Malformed(e);
      for (auto& s : primary) s.kind = ValueKind::kNone;
      for (auto& s : fallback) s.kind = ValueKind::kNone;
      od::json_type rt;
      if (auto e = rec.type().get(rt)) return Malformed(e);
      std::string record_error;
      if (rt != od::json_type::object) {
        record_error = "record must be an object with a \"value\" object";
      } else {
        od::object rec_obj;
        if (auto e = rec.get_object().get(rec_obj)) return Malformed(e);
        bool saw_value = false;
        for (auto rf_result : rec_obj) {
          od::field rf;
          if (auto e = std::move(rf_result).get(rf)) return Malformed(e);
          std::string_view rkey;
          if (auto e = rf.unescaped_key().get(rkey)) return Malformed(e);
          if (rkey != "value") continue;
          saw_value = true;
          od::json_type vt;
          if (auto e = rf.value().type().get(vt)) return Malformed(e);
          if (vt != od::json_type::object) {
            record_error = "record \"value\" must be an object";
            continue;
          }
          od::value& record_value = rf.value();
          SLUICE_RETURN_IF_ERROR(Walker::Walk(*this, record_value, 0, &primary, &fallback));
        }
        if (!saw_value && record_error.empty()) record_error = "record has no \"value\"";
      }
      if (!record_error.empty()) {
        out->errors.push_back(RecordError{index, "null", std::move(record_error)});
      } else {
        BuildRow(index, primary, fallback, reject_ids, out);
      }
      ++index;
    }
    out->records_received = index;
  }
  if (!saw_records) return InvalidArgument("body must contain a \"records\" array");
  return Status::Ok();
}

}  // namespace sluice::emulator
