// File: devtools/sink_emulator/ingest_rows.cpp
// How IngestValidator turns captured values into stored rows, the same for both walks: each
// column's Slot is checked against the column type and normalized (NormalizeValue: ids,
// strings, decimals via WriteDecimal/NormalizeDecimal, timestamps, sets), and the row written
// once in RowLayout's compact form (BuildRow); RowLayout::AppendLine renders it as NDJSON.
// Thread-safety: the validator is immutable; each caller passes its own IngestResult.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "devtools/sink_emulator/ingest_slots.h"
#include "devtools/sink_emulator/ingest_validator.h"
#include "devtools/sink_emulator/json_text.h"

namespace sluice::emulator {

namespace {

using ingest::CopyPadded;
using ingest::kCopySlack;
using ingest::Scalar;
using Slot = IngestValidator::Slot;

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

std::string IngestValidator::NormalizeDecimal(std::string_view text, uint32_t scale, std::string* error) {
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
    *error = "decimal " + std::string(text) + " has more than " + std::to_string(scale) + " fractional digits";
    return {};
  }
  frac_part.append(scale - frac_part.size(), '0');
  // FeatureBase stores decimals as a scaled int64: the scaled value must fit.
  std::string scaled = int_part + frac_part;
  uint64_t magnitude = 0;
  auto r = std::from_chars(scaled.data(), scaled.data() + scaled.size(), magnitude);
  if (r.ec != std::errc() || magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
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
  bool simple =
      int_end > int_start && (int_end - int_start == 1 || text[int_start] != '0') && int_end - int_start + scale <= 18;
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
    return "decimal " + std::string(text) + " has more than " + std::to_string(scale) + " fractional digits";
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
    return "column " + col.name + ": expected " + std::string(ColumnTypeName(col.type)) + ", got " + KindName(s.kind);
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

void IngestValidator::BuildRow(size_t index, const std::vector<Slot>& primary, const std::vector<Slot>& fallback,
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

}  // namespace sluice::emulator
