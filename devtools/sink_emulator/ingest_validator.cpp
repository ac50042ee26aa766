#include "devtools/sink_emulator/ingest_validator.h"

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>

#include "devtools/sink_emulator/json_text.h"

namespace sluice::emulator {

namespace od = simdjson::ondemand;

enum class ValueKind : uint8_t { kNone, kNull, kString, kNumber, kBool, kObject, kArray };

static_assert(kBodyPadding >= simdjson::SIMDJSON_PADDING, "kBodyPadding must cover simdjson's padding");

namespace {

/// One scalar as captured: views into the body (numbers, strings without escapes) or into the
/// parser's string buffer (unescaped strings); both live until the next iterate().
struct Scalar {
  ValueKind kind = ValueKind::kNone;
  std::string_view text;  ///< string: unescaped; number: raw token; bool: "true"/"false"
  /// text is a view into the padded body and can be written between quotes as is (no
  /// escaping needed, and it may be copied with CopyPadded)
  bool plain = false;
};

/// True if the first `len` bytes of a and b are equal; reads up to 7 bytes past `len` of both.
inline bool WordsEqual(const char* a, const char* b, size_t len) {
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (x != y) return false;
  }
  if (i == len) return true;
  uint64_t x, y;
  std::memcpy(&x, a + i, 8);
  std::memcpy(&y, b + i, 8);
  const uint64_t mask = (uint64_t{1} << (8 * (len - i))) - 1;  // little-endian: low bytes first
  return ((x ^ y) & mask) == 0;
}

/// Copies n bytes 16 at a time: may read up to 15 bytes past src + n and write up to 15 past
/// dst + n, so both sides need that much spare room (padded body / prefix buffer; rows
/// reserve kCopySlack extra).
inline void CopyPadded(char* dst, const char* src, size_t n) {
  for (size_t i = 0; i < n; i += 16) std::memcpy(dst + i, src + i, 16);
}
constexpr size_t kCopySlack = 16;

/// One step of a record shape (see FastScan::Replay): the body bytes `lit` (a view into the
/// body being validated) that must come next, then the value of trie node `node`.
struct ShapeStep {
  const char* lit;
  size_t len;
  int node;
  /// When the node feeds exactly one column and has no children: that column's slot, so a
  /// scalar value is read straight into it (all Capture would do); else null.
  IngestValidator::Slot* target;
};


}  // namespace

struct IngestValidator::Slot : Scalar {
  std::vector<Scalar> elems;  ///< array elements
};

struct ParseScratch::Impl {
  od::parser parser;
  std::vector<IngestValidator::Slot> primary, fallback;  ///< per column, reused across requests
  /// The fast path's one slot per column for records of column-name keys, and slots that stay
  /// empty (BuildRow's fallback argument for such records).
  std::vector<IngestValidator::Slot> direct, none;
  /// The fast path's record shape (FastScan::Replay) and the one being recorded; views into
  /// the current body, so they are dropped at the start of every body.
  std::vector<ShapeStep> shape, recording;
  const char* shape_tail = nullptr;  ///< bytes after the last value, up to the record's '}'
  size_t shape_tail_len = 0;
  bool has_shape = false;
};
ParseScratch::ParseScratch() : impl_(std::make_unique<Impl>()) {}
ParseScratch::~ParseScratch() = default;

namespace {

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

const char* KindName(ValueKind k) {
  switch (k) {
    case ValueKind::kNone: return "missing";
    case ValueKind::kNull: return "null";
    case ValueKind::kString: return "string";
    case ValueKind::kNumber: return "number";
    case ValueKind::kBool: return "bool";
    case ValueKind::kObject: return "object";
    case ValueKind::kArray: return "array";
  }
  return "?";
}

/// Reads a scalar into `out`. Errors are structural (the body is malformed).
Status ReadScalar(od::value v, od::json_type t, Scalar* out) {
  switch (t) {
    case od::json_type::string: {
      // A string without a backslash is its own normalized form: stage 1 has already checked
      // UTF-8 and refused raw control characters, so the raw bytes need neither unescaping nor
      // escaping. Only strings with escapes are unescaped (and re-escaped when written).
      std::string_view raw = TrimRight(v.raw_json_token());
      if (raw.size() >= 2 && raw.back() == '"' &&
          std::memchr(raw.data() + 1, '\\', raw.size() - 2) == nullptr) {
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

/// Parses an unsigned integer written with digits only.
bool ParseU64(std::string_view s, uint64_t* out) {
  if (!IsAllDigits(s)) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// True if `s` is 1 to 19 digits without a leading zero (or just "0"): such a text is its own
/// normalized form as an id (parsing it as uint64 and printing it back gives the same bytes).
inline bool IsCanonicalU64(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s[0] == '0' && s.size() > 1)) return false;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
  }
  return true;
}

/// Parses an id (an unsigned integer as a number or a digit string).
bool ParseId(ValueKind kind, std::string_view text, uint64_t* out) {
  if (kind != ValueKind::kNumber && kind != ValueKind::kString) return false;
  return ParseU64(text, out);
}

/// The writers below put text at *p and advance it; the caller has reserved room (RowBound).
void Write(char** p, std::string_view s) {
  std::memcpy(*p, s.data(), s.size());
  *p += s.size();
}

template <typename Int>
void WriteInt(char** p, Int v) {
  *p = std::to_chars(*p, *p + 24, v).ptr;
}

/// Writes `s` as a JSON string literal (at most 6 * size + 2 bytes: \u00XX per byte).
void WriteQuoted(char** p, const Scalar& s) {
  if (s.plain) {
    // Plain texts are views into the padded body (raw strings and numbers), so they may be
    // copied 16 bytes at a time.
    *(*p)++ = '"';
    CopyPadded(*p, s.text.data(), s.text.size());
    *p += s.text.size();
    *(*p)++ = '"';
  } else {
    std::string escaped;
    AppendJsonString(escaped, s.text);
    Write(p, escaped);
  }
}

/// Upper bound of the bytes NormalizeValue writes for `s` in a column of `scale`: a string
/// escapes to at most 6 bytes per byte plus quotes; a number normalizes to at most 21 + scale
/// bytes (the scaled value fits an int64); sets add brackets and commas.
size_t ValueBound(const Scalar& s, uint32_t scale) { return 6 * s.text.size() + 24 + scale; }

bool LooksLikeTimestamp(std::string_view s) {
  // RFC 3339 date prefix "YYYY-MM-DD", optionally followed by 'T'/' ' and a time.
  if (s.size() < 10) return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  if (s[4] != '-' || s[7] != '-') return false;
  return s.size() == 10 || s[10] == 'T' || s[10] == 't' || s[10] == ' ';
}

}  // namespace

std::string IngestValidator::NormalizeDecimal(std::string_view text, uint32_t scale,
                                              std::string* error) {
  error->clear();
  if (!IsJsonNumber(text)) {
    *error = "not a decimal number";
    return {};
  }
  bool negative = false;
  size_t i = 0;
  if (text[i] == '-') {
    negative = true;
    ++i;
  }
  std::string digits;
  int64_t point = 0;  // number of digits before the decimal point
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    digits.push_back(text[i++]);
    ++point;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') digits.push_back(text[i++]);
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    int64_t exp = 0;
    bool exp_neg = false;
    if (text[i] == '+' || text[i] == '-') exp_neg = text[i++] == '-';
    while (i < text.size()) {
      exp = exp * 10 + (text[i++] - '0');
      if (exp > 1000) {
        *error = "decimal exponent out of range";
        return {};
      }
    }
    point += exp_neg ? -exp : exp;
  }
  // Shift so the point lies within the digits.
  if (point < 0) {
    digits.insert(0, static_cast<size_t>(-point), '0');
    point = 0;
  }
  if (point > static_cast<int64_t>(digits.size())) digits.append(point - digits.size(), '0');
  std::string int_part = digits.substr(0, static_cast<size_t>(point));
  std::string frac_part = digits.substr(static_cast<size_t>(point));
  while (!frac_part.empty() && frac_part.back() == '0') frac_part.pop_back();
  size_t lead = 0;
  while (lead + 1 < int_part.size() && int_part[lead] == '0') ++lead;
  int_part.erase(0, lead);
  if (int_part.empty()) int_part = "0";
  if (frac_part.size() > scale) {
    *error = "decimal " + std::string(text) + " has more than " + std::to_string(scale) +
             " fractional digits";
    return {};
  }
  frac_part.append(scale - frac_part.size(), '0');
  // FeatureBase stores decimals as a scaled int64: the scaled value must fit.
  std::string scaled = int_part + frac_part;
  uint64_t magnitude = 0;
  auto r = std::from_chars(scaled.data(), scaled.data() + scaled.size(), magnitude);
  if (r.ec != std::errc() ||
      magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    *error = "decimal " + std::string(text) + " out of range for scale " + std::to_string(scale);
    return {};
  }
  std::string out;
  if (negative && magnitude != 0) out.push_back('-');
  out += int_part;
  if (scale > 0) {
    out.push_back('.');
    out += frac_part;
  }
  return out;
}

StatusOr<std::unique_ptr<IngestValidator>> IngestValidator::Create(std::vector<TableColumn> table,
                                                                   std::vector<SchemaField> schema) {
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

Status IngestValidator::Walker::Walk(const IngestValidator& v, od::value& value, int node,
                                     std::vector<Slot>* primary, std::vector<Slot>* fallback) {
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
  Slot* target = nullptr;
  if (!pn.primary_columns.empty()) {
    target = &(*primary)[pn.primary_columns[0]];
  } else if (!pn.fallback_columns.empty()) {
    target = &(*fallback)[pn.fallback_columns[0]];
  } else {
    target = &captured;  // intermediate node only
  }
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

std::string IngestValidator::WriteDecimal(char** p, std::string_view text, uint32_t scale) {
  // Fast path: "-?int[.frac]" with no exponent and at most 18 significant digits after scaling
  // (always within int64). Anything else takes the general routine below, so both produce the
  // same text: int part as written (JSON has no leading zeros), frac without trailing zeros
  // padded to `scale`, and no sign on zero.
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  const size_t int_start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  const size_t int_end = i;
  bool simple = int_end > int_start && (int_end - int_start == 1 || text[int_start] != '0') &&
                int_end - int_start + scale <= 18;
  size_t frac_start = i, frac_end = i;
  if (simple && i < text.size()) {
    simple = text[i] == '.';
    frac_start = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    frac_end = i;
    simple = simple && frac_end > frac_start && i == text.size();
  }
  if (!simple) {
    std::string err;
    std::string norm = NormalizeDecimal(text, scale, &err);
    if (!err.empty()) return err;
    Write(p, norm);
    return {};
  }
  std::string_view int_part = text.substr(int_start, int_end - int_start);
  std::string_view frac = text.substr(frac_start, frac_end - frac_start);
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  if (frac.size() > scale) {
    return "decimal " + std::string(text) + " has more than " + std::to_string(scale) +
           " fractional digits";
  }
  if (negative && !(int_part == "0" && frac.empty())) *(*p)++ = '-';
  Write(p, int_part);
  if (scale > 0) {
    *(*p)++ = '.';
    Write(p, frac);
    std::memset(*p, '0', scale - frac.size());
    *p += scale - frac.size();
  }
  return {};
}

namespace {

/// Writes the normalized JSON value of `s` for `col` at *p (room: RowBound); returns an error
/// message or "".
std::string NormalizeValue(const TableColumn& col, const Slot& s, char** p) {
  auto type_error = [&]() {
    return "column " + col.name + ": expected " + std::string(ColumnTypeName(col.type)) + ", got " +
           KindName(s.kind);
  };
  switch (col.type) {
    case ColumnType::kString:
      if (s.kind != ValueKind::kString && s.kind != ValueKind::kNumber) return type_error();
      WriteQuoted(p, s);
      return {};
    case ColumnType::kInt: {
      if (s.kind != ValueKind::kNumber) return type_error();
      int64_t v = 0;
      auto r = std::from_chars(s.text.data(), s.text.data() + s.text.size(), v);
      if (r.ec != std::errc() || r.ptr != s.text.data() + s.text.size()) {
        return "column " + col.name + ": " + std::string(s.text) + " is not a 64-bit integer";
      }
      WriteInt(p, v);
      return {};
    }
    case ColumnType::kDecimal: {
      if (s.kind != ValueKind::kNumber && s.kind != ValueKind::kString) return type_error();
      std::string err = IngestValidator::WriteDecimal(p, s.text, col.scale);
      if (!err.empty()) return "column " + col.name + ": " + err;
      return {};
    }
    case ColumnType::kBool:
      if (s.kind != ValueKind::kBool) return type_error();
      Write(p, s.text);
      return {};
    case ColumnType::kTimestamp:
      if (s.kind == ValueKind::kString) {
        if (!LooksLikeTimestamp(s.text)) return "column " + col.name + ": not an RFC 3339 timestamp";
        WriteQuoted(p, s);
        return {};
      }
      if (s.kind == ValueKind::kNumber) {
        int64_t v = 0;
        auto r = std::from_chars(s.text.data(), s.text.data() + s.text.size(), v);
        if (r.ec != std::errc() || r.ptr != s.text.data() + s.text.size()) {
          return "column " + col.name + ": timestamp must be an integer epoch or a string";
        }
        WriteInt(p, v);
        return {};
      }
      return type_error();
    case ColumnType::kId: {
      uint64_t id = 0;
      if (!ParseId(s.kind, s.text, &id)) {
        return "column " + col.name + ": expected an unsigned integer id";
      }
      WriteInt(p, id);
      return {};
    }
    case ColumnType::kStringSet: {
      std::vector<Scalar> items;
      if (s.kind == ValueKind::kString) {
        items.push_back(s);
      } else if (s.kind == ValueKind::kArray) {
        for (const Scalar& e : s.elems) {
          if (e.kind != ValueKind::kString) return "column " + col.name + ": stringset elements must be strings";
          items.push_back(e);
        }
      } else {
        return type_error();
      }
      auto less = [](const Scalar& a, const Scalar& b) { return a.text < b.text; };
      auto same = [](const Scalar& a, const Scalar& b) { return a.text == b.text; };
      std::sort(items.begin(), items.end(), less);
      items.erase(std::unique(items.begin(), items.end(), same), items.end());
      *(*p)++ = '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) *(*p)++ = ',';
        WriteQuoted(p, items[i]);
      }
      *(*p)++ = ']';
      return {};
    }
    case ColumnType::kIdSet: {
      std::vector<uint64_t> items;
      auto add = [&](const Scalar& e) {
        uint64_t v = 0;
        if (!ParseId(e.kind, e.text, &v)) return false;
        items.push_back(v);
        return true;
      };
      if (s.kind == ValueKind::kArray) {
        for (const Scalar& e : s.elems) {
          if (!add(e)) return "column " + col.name + ": idset elements must be unsigned integers";
        }
      } else if (!add(s)) {
        return type_error();
      }
      std::sort(items.begin(), items.end());
      items.erase(std::unique(items.begin(), items.end()), items.end());
      *(*p)++ = '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) *(*p)++ = ',';
        WriteInt(p, items[i]);
      }
      *(*p)++ = ']';
      return {};
    }
  }
  return "column " + col.name + ": unsupported type";
}

}  // namespace

void IngestValidator::BuildRow(size_t index, const std::vector<Slot>& primary,
                               const std::vector<Slot>& fallback,
                               const std::vector<std::string>& reject_ids, IngestResult* out) const {
  // The row is written through a pointer into room reserved once (an upper bound of its
  // size), and committed only when it is valid, so a row costs neither an allocation nor a
  // capacity check per byte.
  const Slot* chosen[64];
  std::vector<const Slot*> chosen_heap;
  const Slot** slots = chosen;
  if (table_.size() > 64) {
    chosen_heap.resize(table_.size());
    slots = chosen_heap.data();
  }
  // Per column: up to kMaxLengthBytes of LEB128 length, then the value (see RowLayout).
  constexpr size_t kMaxLengthBytes = 10;
  size_t bound = kMaxLengthBytes * table_.size();
  for (size_t c = 0; c < table_.size(); ++c) {
    const Slot* s = nullptr;
    if (primary[c].kind != ValueKind::kNone && primary[c].kind != ValueKind::kNull) {
      s = &primary[c];
    } else if (fallback[c].kind != ValueKind::kNone && fallback[c].kind != ValueKind::kNull) {
      s = &fallback[c];
    }
    slots[c] = s;
    if (s == nullptr) continue;
    bound += ValueBound(*s, table_[c].scale);
    for (const Scalar& e : s->elems) bound += ValueBound(e, 0) + 1;
  }
  char* const row = out->text.Reserve(bound + kCopySlack);
  char* p = row;
  std::string message;
  size_t key_offset = 0, key_bytes = 0;
  bool have_key = false;
  for (size_t c = 0; c < table_.size(); ++c) {
    const Slot* s = slots[c];
    if (s == nullptr) {
      if (c == 0) {
        message = "missing _id";
        break;
      }
      *p++ = 0;  // null
      continue;
    }
    // The value is written after a one-byte length; a value of 128 bytes or more (rare) is
    // moved up to make room for its longer length.
    char* const len_at = p;
    char* before = p + 1;
    p = before;
    // The common cases inline, writing what NormalizeValue would: a plain string (or number)
    // into a string column is copied between quotes; an id written as canonical digits
    // (no leading zero, at most 19 digits, so it fits uint64 and prints back the same) is
    // copied as is. Both texts are views into the padded body (plain), so CopyPadded may read on.
    const ColumnType type = table_[c].type;
    // The kind is tested first: only a string or number slot was written for this record; a
    // set's slot (kind array) keeps the text and plain flag of an earlier body, whose buffer
    // may be gone.
    const bool scalar_text = s->kind == ValueKind::kString || s->kind == ValueKind::kNumber;
    if (scalar_text && s->plain && type == ColumnType::kString) {
      *p++ = '"';
      CopyPadded(p, s->text.data(), s->text.size());
      p += s->text.size();
      *p++ = '"';
    } else if (scalar_text && s->plain && type == ColumnType::kId && IsCanonicalU64(s->text)) {
      CopyPadded(p, s->text.data(), s->text.size());
      p += s->text.size();
    }
    std::string err = p != before ? std::string() : NormalizeValue(table_[c], *s, &p);
    if (!err.empty()) {
      p = len_at;
      if (!message.empty()) message += "; ";
      message += err;
      if (c == 0) break;  // without a valid _id the other errors add little
      continue;
    }
    const size_t value_bytes = static_cast<size_t>(p - before);
    if (value_bytes < 0x80) {
      *len_at = static_cast<char>(value_bytes);
    } else {
      const size_t extra = RowLayout::LengthBytes(value_bytes) - 1;
      std::memmove(before + extra, before, value_bytes);
      before += extra;
      p += extra;
      RowLayout::WriteLength(len_at, value_bytes);
    }
    if (c == 0) {
      key_offset = static_cast<size_t>(before - row);
      key_bytes = value_bytes;
      have_key = true;
      std::string_view id_json(before, key_bytes);
      std::string_view plain = (!numeric_id_ && s->kind == ValueKind::kString) ? s->text : id_json;
      if (std::find(reject_ids.begin(), reject_ids.end(), plain) != reject_ids.end()) {
        message = "rejected by fault injection";
        break;
      }
    }
  }
  if (!message.empty()) {
    std::string id_json = have_key ? std::string(row + key_offset, key_bytes) : "null";
    out->errors.push_back(RecordError{index, std::move(id_json), std::move(message)});
    return;
  }
  const size_t row_start = out->text.size();
  const size_t row_bytes = static_cast<size_t>(p - row);
  out->text.set_size(row_start + row_bytes);
  out->rows.push_back(RowRef{row_start, row_bytes, key_offset, key_bytes});
}

void RowLayout::AppendLine(std::string_view row, std::string* out) const {
  size_t i = 0;
  for (const std::string& prefix : prefixes_) {
    out->append(prefix);
    size_t n = 0;
    for (int shift = 0; i < row.size(); shift += 7) {
      const auto b = static_cast<unsigned char>(row[i++]);
      n |= static_cast<size_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    if (n == 0) {
      out->append("null");
    } else {
      out->append(row.substr(i, n));
      i += n;
    }
  }
  out->push_back('}');
}

/// The fast path. It accepts a strict subset of JSON: exactly {"records":[...]} with records
/// exactly {"value":{...}}, no whitespace outside strings, no backslash or control byte
/// anywhere, every key a child of its trie node, and leaves that are scalars or arrays of
/// scalars (objects only where the trie goes deeper). Within that subset it fills the same
/// Slots as Walker (same target choice, same copies to columns sharing a path, same Scalar
/// fields) and calls the same BuildRow, so rows and per-record errors are the full walk's.
/// Everything outside the subset, including anything simdjson would refuse (bad UTF-8, bad
/// numbers, control bytes, trailing bytes), makes it give up for the whole request.
struct IngestValidator::FastScan {
  const IngestValidator& v;
  const char* p;    ///< next byte to read
  const char* end;  ///< end of the body (the padding after it is readable)
  std::vector<Slot>* primary;
  std::vector<Slot>* fallback;
  /// While a record is walked with recording on: its leaf captures so far (else null), where
  /// the bytes before the next leaf begin, and whether the record can serve as a shape.
  std::vector<ShapeStep>* recording = nullptr;
  const char* recorded_end = nullptr;
  bool shape_ok = false;

  /// True (and advances) if the body continues with `lit`.
  template <size_t N>
  bool Expect(const char (&lit)[N]) {
    constexpr size_t n = N - 1;
    if (static_cast<size_t>(end - p) < n || std::memcmp(p, lit, n) != 0) return false;
    p += n;
    return true;
  }
  /// The first '"' in [s, end), or nullptr. Reads up to 15 bytes past end (padding).
  static const char* FindQuote(const char* s, const char* end) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    for (; s < end; s += 16) {
      const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
      const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, quote)));
      if (mask != 0) {
        const char* q = s + __builtin_ctz(mask);
        return q < end ? q : nullptr;
      }
    }
    return nullptr;
#else
    return static_cast<const char*>(std::memchr(s, '"', static_cast<size_t>(end - s)));
#endif
  }
  /// A string at p (its opening quote): the text between the quotes; p moves past the closing
  /// quote. The pre-scan has ruled out backslashes, so the next quote closes it.
  bool ReadString(std::string_view* text) {
    const char* q = FindQuote(p + 1, end);
    if (q == nullptr) return false;
    *text = std::string_view(p + 1, static_cast<size_t>(q - p - 1));
    p = q + 1;
    return true;
  }
  /// True if p is at a byte that may end a scalar value.
  bool AtValueEnd() const { return p < end && (*p == ',' || *p == '}' || *p == ']'); }
  /// A scalar at p, read into `out` the way ReadScalar does (only the fields it sets).
  bool ReadScalarFast(Scalar* out) {
    const char c = *p;
    if (c == '"') {
      std::string_view text;
      if (!ReadString(&text) || !AtValueEnd()) return false;
      out->kind = ValueKind::kString;
      out->text = text;
      out->plain = true;
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      const char* start = p;
      while (p < end && *p != ',' && *p != '}' && *p != ']') ++p;
      std::string_view raw(start, static_cast<size_t>(p - start));
      if (p == end || !IsJsonNumber(raw)) return false;
      out->kind = ValueKind::kNumber;
      out->text = raw;
      out->plain = true;
      return true;
    }
    if (c == 't' || c == 'f') {
      const bool b = c == 't';
      if (b ? !Expect("true") : !Expect("false")) return false;
      if (!AtValueEnd()) return false;
      out->kind = ValueKind::kBool;
      out->text = b ? "true" : "false";
      out->plain = false;
      return true;
    }
    if (c == 'n') {
      if (!Expect("null") || !AtValueEnd()) return false;
      out->kind = ValueKind::kNull;
      out->text = {};
      return true;
    }
    return false;
  }
  /// The value of a key that matched trie node `node` (Walker::Capture).
  bool Capture(int node) {
    const PathNode& pn = v.nodes_[node];
    std::optional<Slot> captured;  // only for an intermediate node (no column of its own)
    Slot* target = nullptr;
    if (!pn.primary_columns.empty()) {
      target = &(*primary)[pn.primary_columns[0]];
    } else if (!pn.fallback_columns.empty()) {
      target = &(*fallback)[pn.fallback_columns[0]];
    } else {
      target = &captured.emplace();
    }
    target->elems.clear();
    if (p >= end) return false;
    const bool leaf = *p != '{';
    if (recording != nullptr) {
      if (leaf) {
        const bool single = pn.children.empty() &&
                            pn.primary_columns.size() + pn.fallback_columns.size() == 1;
        recording->push_back(ShapeStep{recorded_end, static_cast<size_t>(p - recorded_end), node,
                                       single ? target : nullptr});
      } else if (!pn.primary_columns.empty() || !pn.fallback_columns.empty()) {
        shape_ok = false;  // Replay skips the Capture of objects: only unobservable ones may go
      }
    }
    if (*p == '[') {
      target->kind = ValueKind::kArray;
      target->text = {};
      target->plain = false;
      ++p;
      if (p < end && *p == ']') {
        ++p;
      } else {
        for (;;) {
          if (p >= end) return false;
          Scalar item;
          if (!ReadScalarFast(&item)) return false;
          target->elems.push_back(item);
          if (*p == ']') {
            ++p;
            break;
          }
          if (*p != ',') return false;
          ++p;
        }
      }
      if (!AtValueEnd()) return false;
    } else if (*p == '{') {
      // Objects are taken only where the trie goes deeper (an unmapped object would have to
      // be validated while skipped, which the full walk leaves to simdjson).
      if (pn.children.empty()) return false;
      target->kind = ValueKind::kObject;
      if (!WalkObject(node) || !AtValueEnd()) return false;
    } else if (!ReadScalarFast(target)) {
      return false;
    }
    for (int c : pn.primary_columns) {
      if (&(*primary)[c] != target) (*primary)[c] = *target;
    }
    for (int c : pn.fallback_columns) {
      if (&(*fallback)[c] != target) (*fallback)[c] = *target;
    }
    if (recording != nullptr && leaf) recorded_end = p;
    return true;
  }

  /// Records of one feed have the same keys in the same order, so the bytes between their
  /// values repeat: `{"flight_id":`, `,"airline":`, ..., `,"origin":{"airport":`, ... `}}`.
  /// A record walked by WalkObject(0) is recorded as such a shape: per leaf value (a scalar
  /// or array, whatever Capture read without recursing), the bytes since the previous leaf
  /// and the trie node the value went to. Replay checks that the next record has exactly those
  /// bytes between its values and captures each value into its node with the same Capture.
  /// That is what WalkObject would do on the same bytes: it reads the same keys at the same
  /// places, finds the same children and calls Capture on the same nodes; the only Captures
  /// it skips are of objects whose node has no column (their slot is a temporary, which the
  /// recording refuses otherwise). Key search and key scanning are replaced by one compare.
  /// Returns 1 if the record matched and was captured, 0 if the bytes differ (p back at the
  /// record's '{'; slots may hold partial captures, so the caller resets them), -1 when a
  /// Capture failed (WalkObject would have failed at the same place).
  int Replay(const std::vector<ShapeStep>& shape, const char* tail, size_t tail_len) {
    const char* const start = p;
    for (const ShapeStep& st : shape) {
      // WordsEqual reads up to 7 bytes past both: body or padding on either side.
      if (static_cast<size_t>(end - p) < st.len || !WordsEqual(p, st.lit, st.len)) {
        p = start;
        return 0;
      }
      p += st.len;
      if (st.target != nullptr && p < end && *p != '[' && *p != '{') {
        st.target->elems.clear();
        if (!ReadScalarFast(st.target)) return -1;
      } else if (!Capture(st.node)) {
        return -1;
      }
    }
    if (static_cast<size_t>(end - p) < tail_len || !WordsEqual(p, tail, tail_len)) {
      p = start;
      return 0;
    }
    p += tail_len;
    return 1;
  }
  /// A record value at p ('{') whose keys are distinct column names with direct_ok_ and whose
  /// values are scalars: each value goes into direct[column] and p moves past the '}'. Such a
  /// record fills, on the full walk, primary and/or fallback slots of exactly those columns
  /// with those values and nothing else, so BuildRow(direct, none) writes the same row.
  /// Returns false with p back at the '{' for any other record (the caller walks it).
  bool DirectRecord(std::vector<Slot>* direct) {
    const char* const start = p;
    const size_t n = v.table_.size();
    for (auto& s : *direct) s.kind = ValueKind::kNone;
    uint64_t seen = 0;
    size_t hint = 0;
    ++p;  // '{'
    for (;;) {
      if (p >= end || *p != '"') break;
      const char* key = p + 1;
      const char* q = FindQuote(key, end);
      if (q == nullptr) break;
      const size_t key_len = static_cast<size_t>(q - key);
      size_t col = n;
      for (size_t k = 0, j = hint; k < n; ++k, ++j) {
        if (j >= n) j = 0;
        // WordsEqual reads up to 7 bytes past the key's end: body or padding.
        if (v.table_[j].name.size() == key_len &&
            WordsEqual(key, v.padded_column_names_[j].data(), key_len)) {
          col = j;
          hint = j + 1;
          break;
        }
      }
      if (col == n || !v.direct_ok_[col] || ((seen >> col) & 1) != 0) break;
      seen |= uint64_t{1} << col;
      p = q + 1;
      if (p >= end || *p != ':') break;
      ++p;
      if (p >= end || *p == '[' || *p == '{' || !ReadScalarFast(&(*direct)[col])) break;
      if (*p == '}') {
        ++p;
        return true;
      }
      if (*p != ',') break;
      ++p;
    }
    p = start;
    return false;
  }

  /// An object at p whose keys are children of `node` (Walker::Walk); p moves past its '}'.
  bool WalkObject(int node) {
    ++p;  // '{'
    if (p < end && *p == '}') {
      ++p;
      return true;
    }
    const PathNode& pn = v.nodes_[node];
    const size_t n = pn.children.size();
    size_t hint = 0;
    for (;;) {
      if (p >= end || *p != '"') return false;
      const char* key = p + 1;
      std::string_view key_text;
      if (!ReadString(&key_text) || p >= end || *p != ':') return false;
      ++p;
      int child = -1;
      for (size_t k = 0, j = hint; k < n; ++k, ++j) {
        if (j >= n) j = 0;
        const size_t len = pn.children[j].first.size();
        // The key lies inside the body, so the 7 bytes WordsEqual may read past it are
        // within the body or its padding.
        if (len == key_text.size() && WordsEqual(key, pn.padded_names[j].data(), len)) {
          hint = j + 1;
          child = pn.children[j].second;
          break;
        }
      }
      if (child < 0) return false;  // unmapped key: the full walk skips it
      if (!Capture(child)) return false;
      if (*p == '}') {
        ++p;
        return true;
      }
      if (*p != ',') return false;  // Capture left p at ',', '}' or ']'
      ++p;
    }
  }

  /// True if no byte of the body is a control byte or a backslash; sets *high when some byte
  /// is >= 0x80 (then the caller validates UTF-8 as simdjson's stage 1 would).
  static bool PreScan(const char* data, size_t size, bool* high) {
#if defined(__SSE2__)
    // 16 bytes at a time, exactly: a byte <= 0x1f (unsigned min with 0x1f leaves it as is) or
    // equal to '\\' marks `bad`; high bits are OR-ed together.
    size_t i = 0;
    const __m128i k1f = _mm_set1_epi8(0x1f);
    const __m128i kBackslash = _mm_set1_epi8('\\');
    __m128i bad = _mm_setzero_si128(), any = _mm_setzero_si128();
    for (; i + 16 <= size; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, k1f), v),
                                           _mm_cmpeq_epi8(v, kBackslash)));
      any = _mm_or_si128(any, v);
    }
    if (_mm_movemask_epi8(bad) != 0) return false;
    if (_mm_movemask_epi8(any) != 0) *high = true;
    for (; i < size; ++i) {
      const unsigned char c = static_cast<unsigned char>(data[i]);
      if (c < 0x20 || c == '\\') return false;
      if (c >= 0x80) *high = true;
    }
    return true;
#else
    size_t i = 0;
    uint64_t flagged = 0;
    // 8 bytes at a time: a byte < 0x20, >= 0x80 or == '\\' sets its high bit in `bad`.
    for (; i + 8 <= size; i += 8) {
      uint64_t w;
      std::memcpy(&w, data + i, 8);
      constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
      const uint64_t lt20 = (w - kOnes * 0x20) & ~w;
      const uint64_t bs = w ^ (kOnes * '\\');
      const uint64_t is_bs = (bs - kOnes) & ~bs;
      flagged |= (lt20 | is_bs | w) & kHigh;
    }
    if (flagged != 0 || i < size) {
      // Exact pass (rare: non-ASCII or trouble, or the last few bytes).
      for (size_t k = flagged != 0 ? 0 : i; k < size; ++k) {
        const unsigned char c = static_cast<unsigned char>(data[k]);
        if (c < 0x20 || c == '\\') return false;
        if (c >= 0x80) *high = true;
      }
    }
    return true;
#endif
  }
};

bool IngestValidator::TryValidateFast(ParseScratch& scratch, const char* data, size_t size,
                                      const std::vector<std::string>& reject_ids,
                                      IngestResult* out) const {
  if (!raw_keys_) return false;
  bool high = false;
  if (!FastScan::PreScan(data, size, &high)) return false;
  if (high && !simdjson::validate_utf8(data, size)) return false;
  out->records_received = 0;
  out->text.clear();
  out->rows.clear();
  out->errors.clear();
  out->layout = layout_.get();
  std::vector<Slot>& primary = scratch.impl()->primary;
  std::vector<Slot>& fallback = scratch.impl()->fallback;
  std::vector<Slot>& direct = scratch.impl()->direct;
  std::vector<Slot>& none = scratch.impl()->none;
  primary.resize(table_.size());
  fallback.resize(table_.size());
  direct.resize(table_.size());
  none.resize(table_.size());  // never written: every kind stays kNone
  ParseScratch::Impl& sc = *scratch.impl();
  sc.has_shape = false;
  FastScan scan{*this, data, data + size, &primary, &fallback};
  if (!scan.Expect("{\"records\":[")) return false;
  size_t index = 0;
  if (scan.p < scan.end && *scan.p == ']') {
    ++scan.p;
  } else {
    for (;;) {
      if (!scan.Expect("{\"value\":") || scan.p >= scan.end || *scan.p != '{') return false;
      int replayed = 0;
      if (sc.has_shape) {
        for (auto& s : primary) s.kind = ValueKind::kNone;
        for (auto& s : fallback) s.kind = ValueKind::kNone;
        replayed = scan.Replay(sc.shape, sc.shape_tail, sc.shape_tail_len);
        if (replayed < 0) return false;
      }
      const bool is_direct = replayed == 0 && direct_columns_ && scan.DirectRecord(&direct);
      if (replayed == 0 && !is_direct) {
        for (auto& s : primary) s.kind = ValueKind::kNone;
        for (auto& s : fallback) s.kind = ValueKind::kNone;
        const char* const record = scan.p;
        sc.recording.clear();
        scan.recording = &sc.recording;
        scan.recorded_end = record;
        scan.shape_ok = true;
        const bool walked = scan.WalkObject(0);
        scan.recording = nullptr;
        if (!walked) return false;
        if (scan.shape_ok) {
          sc.shape.swap(sc.recording);
          sc.shape_tail = scan.recorded_end;
          sc.shape_tail_len = static_cast<size_t>(scan.p - scan.recorded_end);
          sc.has_shape = true;
        }
      }
      if (!scan.Expect("}") || scan.p >= scan.end) return false;
      const char sep = *scan.p++;
      // The row is built before the rest of the body is checked: if the body turns out to be
      // outside the subset, the caller throws `out` away and runs the full walk.
      if (is_direct) {
        BuildRow(index, direct, none, reject_ids, out);
      } else {
        BuildRow(index, primary, fallback, reject_ids, out);
      }
      ++index;
      if (sep == ']') break;
      if (sep != ',') return false;
    }
  }
  if (!scan.Expect("}") || scan.p != scan.end) return false;
  out->records_received = index;
  return true;
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

Status IngestValidator::ValidateFullWalk(ParseScratch& scratch, const char* data, size_t size,
                                         size_t capacity, const std::vector<std::string>& reject_ids,
                                         IngestResult* out) const {
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
