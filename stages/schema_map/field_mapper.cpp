// File: stages/schema_map/field_mapper.cpp
// Single-pass path extraction + coercion; see field_mapper.h and COERCION.md.
#include "stages/schema_map/field_mapper.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <type_traits>

#include "engine/json_string.h"
#include "stages/json_parse/json_number.h"
#include "stages/schema_map/number_coercion.h"
#include "stages/schema_map/record_scan.h"
#include "stages/schema_map/rfc3339.h"

namespace sluice::stages {

namespace od = simdjson::ondemand;
using simdjson::error_code;

namespace {

std::string_view TypeArticle(od::json_type type) {
  switch (type) {
    case od::json_type::object: return "an object";
    case od::json_type::array: return "an array";
    case od::json_type::string: return "a string";
    case od::json_type::number: return "a number";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown value";
}

std::string_view ExpectedFor(const Column& c) {
  switch (c.type) {
    case ColumnType::kString: return "a string";
    case ColumnType::kInt: return "an int";
    case ColumnType::kDecimal: return "a decimal number";
    case ColumnType::kBool: return "a bool";
    case ColumnType::kTimestamp: return "an RFC 3339 timestamp string";
    case ColumnType::kId: return "an unsigned id";
    case ColumnType::kStringSet: return "a string or a list of strings";
    case ColumnType::kIdSet: return "an id or a list of ids";
  }
  return "?";
}

// A token for a message: at most 64 bytes, never cutting a UTF-8 sequence.
std::string Preview(std::string_view token) {
  constexpr size_t kMax = 64;
  if (token.size() <= kMax) return std::string(token);
  size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(token[n]) & 0xC0) == 0x80) --n;
  return std::string(token.substr(0, n)) + "...";
}

// After this many failed fast path attempts in a row, the next kFastSkipRecords records go
// straight to the full walk (then one attempt again).
constexpr uint32_t kFastMissesBeforeSkipping = 8;
constexpr uint32_t kFastSkipRecords = 15;

// Keys per record whose position Scratch::key_sequence remembers (later ones: no guess).
constexpr uint32_t kPredictedKeys = 256;

// AppendMapped copies each piece in whole blocks of this size (two 16-byte moves), which may
// read and write up to kCopyBlock - 1 bytes past the piece: one predictable loop per piece
// instead of a size switch or a call to memcpy.
constexpr size_t kCopyBlock = 32;

static_assert(simdjson::SIMDJSON_PADDING >= kCopyBlock, "AppendMapped reads past values");

}  // namespace

struct FieldMapper::Context {
  const char* base = nullptr;  // payload start: input slots are offsets from it
  Scratch* scratch = nullptr;
  std::string* reason = nullptr;
  // False when the record has no backslash at all: then no string or key needs unescaping
  // to be checked or matched (one memchr per record instead of one per token).
  bool may_escape = true;
  // Length of the record once minified, summed over the walk (tokens, ':', ',', brackets):
  // equal to the record's length exactly when it has no insignificant whitespace, in which
  // case raw mode copies it instead of running simdjson::minify.
  size_t compact = 0;

  bool JsonError(error_code e) {
    *reason = "invalid JSON: ";
    *reason += JsonErrorText(e);
    return false;
  }
  bool ColumnError(const Column& c, std::string_view detail) {
    reason->clear();
    reason->append("column ");
    AppendJsonString(*reason, c.name);
    reason->append(": ");
    reason->append(detail);
    return false;
  }
  bool TypeError(const Column& c, od::json_type got) {
    return ColumnError(c, "expected " + std::string(ExpectedFor(c)) + ", got " +
                              std::string(TypeArticle(got)));
  }
  void SetInput(Scratch::Slot& slot, std::string_view token) {
    slot.source = Scratch::Source::kInput;
    slot.begin = static_cast<uint32_t>(token.data() - base);
    slot.length = static_cast<uint32_t>(token.size());
  }
};

FieldMapper::FieldMapper(IngestSchema schema) : schema_(std::move(schema)), trie_(schema_) {
  const auto& columns = schema_.columns();
  std::vector<uint32_t> order{static_cast<uint32_t>(schema_.id_index())};
  for (uint32_t c = 0; c < columns.size(); ++c) {
    if (c != schema_.id_index()) order.push_back(c);
  }
  for (uint32_t c : order) {
    OutputColumn o;
    o.column = c;
    o.prefix_begin = static_cast<uint32_t>(prefix_block_.size());
    AppendJsonString(prefix_block_, columns[c].name);
    prefix_block_.push_back(':');
    o.prefix_length = static_cast<uint32_t>(prefix_block_.size() - o.prefix_begin);
    output_.push_back(o);
  }
  prefix_block_.append(kCopyBlock, '\0');
}

FieldMapper::Scratch FieldMapper::MakeScratch() const {
  Scratch s;
  s.buffer.reserve(4096);
  s.slots.resize(schema_.columns().size());
  s.quotes.resize(64);  // records up to 4 KiB; grows once for larger ones
  s.key_sequence.assign(kPredictedKeys, ~uint64_t{0});
  return s;
}

namespace {

inline void CopyBlocks(char* dst, const char* src, size_t n) {
  size_t i = 0;
  do {
    std::memcpy(dst + i, src + i, kCopyBlock);
    i += kCopyBlock;
  } while (i < n);
}

}  // namespace

bool FieldMapper::MapRecord(JsonReader& reader, Scratch& scratch, const char* data, size_t length,
                            size_t capacity, PayloadMode mode, std::string* out,
                            std::string* reason) const {
  if (scratch.fast_skip == 0) {
    if (MapRecordFast(scratch, data, length, capacity, mode, out)) {
      scratch.fast_misses = 0;
      return true;
    }
    if (++scratch.fast_misses >= kFastMissesBeforeSkipping) scratch.fast_skip = kFastSkipRecords;
  } else {
    --scratch.fast_skip;
  }
  return MapRecordFullWalk(reader, scratch, data, length, capacity, mode, out, reason);
}

bool FieldMapper::MapRecordFullWalk(JsonReader& reader, Scratch& scratch, const char* data,
                                    size_t length, size_t capacity, PayloadMode mode,
                                    std::string* out, std::string* reason) const {
  Context ctx;
  ctx.base = data;
  ctx.scratch = &scratch;
  ctx.reason = reason;
  ctx.may_escape = std::memchr(data, '\\', length) != nullptr;
  scratch.buffer.clear();
  static_assert(std::is_trivially_copyable_v<Scratch::Slot>);
  std::memset(static_cast<void*>(scratch.slots.data()), 0,
              scratch.slots.size() * sizeof(Scratch::Slot));  // all kAbsent, not seen

  od::document doc;
  if (error_code e = reader.Iterate(data, length, capacity, &doc); e) return ctx.JsonError(e);
  od::json_type root_type;
  if (error_code e = doc.type().get(root_type); e) return ctx.JsonError(e);
  if (root_type != od::json_type::object) {
    // Say "invalid JSON" for text that is not JSON at all ("not json", "tru").
    std::string_view token;
    if (doc.raw_json_token().get(token) == simdjson::SUCCESS) {
      while (!token.empty() && (token.back() == ' ' || token.back() == '\n' ||
                                token.back() == '\r' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      JsonNumberText n;
      const bool valid =
          (root_type == od::json_type::null && token == "null") ||
          (root_type == od::json_type::boolean && (token == "true" || token == "false")) ||
          (root_type == od::json_type::number && ParseJsonNumber(token, &n)) ||
          (root_type == od::json_type::string && token.size() >= 2 && token.back() == '"') ||
          root_type == od::json_type::array;
      if (!valid) return ctx.JsonError(simdjson::TAPE_ERROR);
    }
    *reason = "record is not a JSON object (got " + std::string(TypeArticle(root_type)) + ")";
    return false;
  }
  od::object root;
  if (error_code e = doc.get_object().get(root); e) return ctx.JsonError(e);
  if (!WalkObject(root, 0, 1, ctx)) return false;
  if (error_code e = CheckDocumentEnd(doc); e) return ctx.JsonError(e);

  const Column& id = schema_.id_column();
  if (scratch.slots[schema_.id_index()].source == Scratch::Source::kAbsent) {
    *reason = "missing _id (path " + PathToString(id.path) + ")";
    return false;
  }

  if (mode == PayloadMode::kRaw) {
    if (ctx.compact == length) {  // already minified: nothing to remove
      out->append(data, length);
      return true;
    }
    if (error_code e = AppendMinified(std::string_view(data, length), out); e) {
      return ctx.JsonError(e);
    }
    return true;
  }
  AppendMapped(scratch, data, out);
  return true;
}

void FieldMapper::AppendMapped(Scratch& scratch, const char* data, std::string* out) const {
  // Size first, then one resize (with a block of slack for the last copy, cut afterwards) and
  // block copies; the buffer gets a block of padding so its last value can be read whole.
  size_t total = 1;  // '{'
  for (const OutputColumn& o : output_) {
    const Scratch::Slot& slot = scratch.slots[o.column];
    const size_t piece = 1 + o.prefix_length + slot.length;  // ',' or '}' after each
    total += slot.source == Scratch::Source::kAbsent ? 0 : piece;
  }
  if (total == 1) {
    out->append("{}");
    return;
  }
  scratch.buffer.append(kCopyBlock, '\0');
  const char* buffer = scratch.buffer.data();
  const size_t old_size = out->size();
  out->resize(old_size + total + kCopyBlock);
  char* p = out->data() + old_size;
  *p++ = '{';
  for (const OutputColumn& o : output_) {
    const Scratch::Slot& slot = scratch.slots[o.column];
    if (slot.source == Scratch::Source::kAbsent) continue;
    CopyBlocks(p, prefix_block_.data() + o.prefix_begin, o.prefix_length);
    p += o.prefix_length;
    const char* src = slot.source == Scratch::Source::kInput ? data : buffer;
    CopyBlocks(p, src + slot.begin, slot.length);
    p += slot.length;
    *p++ = ',';
  }
  p[-1] = '}';
  out->resize(old_size + total);
}

bool FieldMapper::WalkObject(od::object& object, uint32_t node, int depth, Context& ctx) const {
  if (depth > kMaxJsonDepth) return ctx.JsonError(simdjson::DEPTH_ERROR);
  size_t fields = 0;
  for (auto field_result : object) {
    od::field field;
    if (error_code e = std::move(field_result).get(field); e) return ctx.JsonError(e);
    std::string_view key;
    size_t key_bytes = 0;
    RawFieldKey(field, &key, &key_bytes);
    ctx.compact += key_bytes + 1;  // key and ':'
    ++fields;
    int32_t child;
    if (ctx.may_escape && std::memchr(key.data(), '\\', key.size()) != nullptr) {
      // Escaped key: checked and matched in its unescaped form ("cl\u00e9" is "clé").
      if (error_code e = field.unescaped_key().get(key); e) return ctx.JsonError(e);
      child = trie_.FindChild(node, key);
    } else {
      child = trie_.FindChildInPlace(node, key);
    }
    od::value& value = field.value();
    if (child < 0) {
      if (error_code e = ValidateValue(value, depth + 1, ctx.may_escape, &ctx.compact); e) {
        return ctx.JsonError(e);
      }
      continue;
    }
    const Node& n = trie_.node(static_cast<size_t>(child));
    if (n.column >= 0) {
      const uint32_t index = static_cast<uint32_t>(n.column);
      Scratch::Slot& slot = ctx.scratch->slots[index];
      if (!ctx.may_escape && !slot.seen &&
          schema_.columns()[index].type == ColumnType::kString) {
        // The most common case, without a call: a string for a string column in a record
        // without backslashes is kept as its token (what Coerce would do).
        const std::string_view token = TrimmedToken(value);
        if (token.size() >= 2 && token.front() == '"' && token.back() == '"') {
          slot.seen = true;
          ctx.compact += token.size();
          ctx.SetInput(slot, token);
          continue;
        }
      }
      if (!Coerce(index, value, depth + 1, ctx)) return false;
      continue;
    }
    od::json_type type;
    if (error_code e = value.type().get(type); e) return ctx.JsonError(e);
    if (type == od::json_type::object) {
      od::object inner;
      if (error_code e = value.get_object().get(inner); e) return ctx.JsonError(e);
      if (!WalkObject(inner, static_cast<uint32_t>(child), depth + 1, ctx)) return false;
    } else if (type == od::json_type::null) {
      // A null object leaves every column under it out, like a missing key.
      const std::string_view token = TrimmedToken(value);
      ctx.compact += token.size();
      if (!CheckLiteral(token, "null")) return ctx.JsonError(simdjson::N_ATOM_ERROR);
    } else {
      const Column& c = schema_.columns()[n.first_column];
      std::vector<std::string> prefix(c.path.begin(), c.path.begin() + static_cast<long>(n.depth));
      return ctx.ColumnError(c, "expected an object at " + PathToString(prefix) + ", got " +
                                    std::string(TypeArticle(type)));
    }
  }
  ctx.compact += 2 + (fields > 0 ? fields - 1 : 0);  // braces and commas
  return true;
}

namespace {

// Content of a string token: the bytes between the quotes, or (only when the token has
// escapes) the unescaped text in the parser's string buffer, valid until the next record.
error_code StringContent(od::value& value, std::string_view token, bool may_escape,
                         std::string_view* content) {
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') return simdjson::STRING_ERROR;
  const std::string_view inner = token.substr(1, token.size() - 2);
  if (may_escape && std::memchr(inner.data(), '\\', inner.size()) != nullptr) {
    return value.get_string().get(*content);
  }
  *content = inner;
  return simdjson::SUCCESS;
}

}  // namespace

bool FieldMapper::Coerce(uint32_t index, od::value& value, int depth, Context& ctx) const {
  const Column& column = schema_.columns()[index];
  Scratch::Slot& slot = ctx.scratch->slots[index];
  if (slot.seen) return ctx.ColumnError(column, "duplicate key in the record");
  slot.seen = true;
  od::json_type type;
  if (error_code e = value.type().get(type); e) return ctx.JsonError(e);
  const std::string_view token = TrimmedToken(value);
  if (type != od::json_type::array) ctx.compact += token.size();  // arrays: counted below
  if (type == od::json_type::null) {
    if (!CheckLiteral(token, "null")) return ctx.JsonError(simdjson::N_ATOM_ERROR);
    return true;  // null leaves the column out
  }
  std::string& buf = ctx.scratch->buffer;
  const size_t begin = buf.size();
  auto finish_buffer = [&]() {
    slot.source = Scratch::Source::kBuffer;
    slot.begin = static_cast<uint32_t>(begin);
    slot.length = static_cast<uint32_t>(buf.size() - begin);
    return true;
  };

  switch (column.type) {
    case ColumnType::kString: {
      if (type == od::json_type::string) {
        if (ctx.may_escape) {
          bool has_escapes = false;
          if (error_code e = CheckStringToken(value, token, &has_escapes); e) {
            return ctx.JsonError(e);
          }
        } else if (token.size() < 2 || token.back() != '"') {
          return ctx.JsonError(simdjson::STRING_ERROR);
        }
        ctx.SetInput(slot, token);  // the original token: escapes and unicode kept as sent
        return true;
      }
      if (!AppendSetElement(column, value, ctx)) return false;
      return finish_buffer();
    }
    case ColumnType::kInt:
    case ColumnType::kId:
    case ColumnType::kDecimal: {
      std::string_view text;
      if (type == od::json_type::number) {
        text = token;
      } else if (type == od::json_type::string) {
        if (error_code e = StringContent(value, token, ctx.may_escape, &text); e) return ctx.JsonError(e);
      } else {
        if (error_code e = ValidateValue(value, depth); e) return ctx.JsonError(e);
        return ctx.TypeError(column, type);
      }
      JsonNumberText n;
      if (!ParseJsonNumber(text, &n)) {
        if (type == od::json_type::number) return ctx.JsonError(simdjson::NUMBER_ERROR);
        return ctx.ColumnError(column, Preview(token) + " is not a number");
      }
      bool keep_token = false;
      int64_t fraction_digits = 0;
      const NumberConversion r = CoerceNumber(column, n, type == od::json_type::number, &buf,
                                              &keep_token, &fraction_digits);
      switch (r) {
        case NumberConversion::kOk:
          if (keep_token) {
            ctx.SetInput(slot, token);
            return true;
          }
          return finish_buffer();
        case NumberConversion::kNotInteger:
          return ctx.ColumnError(column, Preview(token) + " is not an integer");
        case NumberConversion::kNegative:
          return ctx.ColumnError(column, Preview(token) + " is negative (id is unsigned)");
        case NumberConversion::kOutOfRange:
          return ctx.ColumnError(
              column, Preview(token) + " is out of range for " +
                          (column.type == ColumnType::kDecimal
                               ? "decimal(18," + std::to_string(column.scale) + ")"
                               : std::string(ColumnTypeName(column.type))));
        case NumberConversion::kTooManyDecimals:
          return ctx.ColumnError(column, Preview(token) + " has " + std::to_string(fraction_digits) +
                                             " fractional digits, scale is " +
                                             std::to_string(column.scale));
      }
      return ctx.ColumnError(column, "bad number");
    }
    case ColumnType::kBool: {
      bool v = false;
      if (type == od::json_type::boolean) {
        if (CheckLiteral(token, "true")) {
          v = true;
        } else if (!CheckLiteral(token, "false")) {
          return ctx.JsonError(token.front() == 't' ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR);
        }
      } else if (type == od::json_type::string || type == od::json_type::number) {
        std::string_view text = token;
        if (type == od::json_type::string) {
          if (error_code e = StringContent(value, token, ctx.may_escape, &text); e) return ctx.JsonError(e);
        } else {
          JsonNumberText n;
          if (!ParseJsonNumber(token, &n)) return ctx.JsonError(simdjson::NUMBER_ERROR);
        }
        if (!BoolFromText(text, type == od::json_type::string, &v)) {
          return ctx.ColumnError(column, Preview(token) +
                                             " is not a bool (use true/false, \"true\"/\"false\", 0 or 1)");
        }
      } else {
        if (error_code e = ValidateValue(value, depth); e) return ctx.JsonError(e);
        return ctx.TypeError(column, type);
      }
      buf.append(v ? "true" : "false");
      return finish_buffer();
    }
    case ColumnType::kTimestamp: {
      if (type != od::json_type::string) {
        if (error_code e = ValidateValue(value, depth); e) return ctx.JsonError(e);
        return ctx.TypeError(column, type);
      }
      std::string_view text;
      if (error_code e = StringContent(value, token, ctx.may_escape, &text); e) return ctx.JsonError(e);
      if (!IsRfc3339Timestamp(text)) {
        return ctx.ColumnError(column, Preview(token) + " is not an RFC 3339 timestamp");
      }
      ctx.SetInput(slot, token);
      return true;
    }
    case ColumnType::kStringSet:
    case ColumnType::kIdSet: {
      buf.push_back('[');
      if (type == od::json_type::array) {
        od::array array;
        if (error_code e = value.get_array().get(array); e) return ctx.JsonError(e);
        bool first = true;
        ctx.compact += 2;  // brackets
        for (auto element_result : array) {
          od::value element;
          if (error_code e = std::move(element_result).get(element); e) return ctx.JsonError(e);
          ctx.compact += TrimmedToken(element).size() + (first ? 0 : 1);  // element and ','
          if (!first) buf.push_back(',');
          first = false;
          if (!AppendSetElement(column, element, ctx)) return false;
        }
      } else if (!AppendSetElement(column, value, ctx)) {
        return false;
      }
      buf.push_back(']');
      return finish_buffer();
    }
  }
  return ctx.ColumnError(column, "unknown column type");
}

// One string (string column from a non-string, or a stringset element) or one id (idset
// element), appended to the scratch buffer as JSON text.
bool FieldMapper::AppendSetElement(const Column& column, od::value& value, Context& ctx) const {
  std::string& buf = ctx.scratch->buffer;
  od::json_type type;
  if (error_code e = value.type().get(type); e) return ctx.JsonError(e);
  const std::string_view token = TrimmedToken(value);
  const bool ids = column.type == ColumnType::kIdSet;
  switch (type) {
    case od::json_type::string: {
      if (ids) {
        std::string_view text;
        if (error_code e = StringContent(value, token, ctx.may_escape, &text); e) return ctx.JsonError(e);
        JsonNumberText n;
        uint64_t v = 0;
        if (!ParseJsonNumber(text, &n) || ToUint64(n, &v) != NumberConversion::kOk) {
          return ctx.ColumnError(column, Preview(token) + " is not an unsigned id");
        }
        AppendUint(&buf, v);
        return true;
      }
      if (ctx.may_escape) {
        bool has_escapes = false;
        if (error_code e = CheckStringToken(value, token, &has_escapes); e) return ctx.JsonError(e);
      }
      buf.append(token);
      return true;
    }
    case od::json_type::number: {
      JsonNumberText n;
      if (!ParseJsonNumber(token, &n)) return ctx.JsonError(simdjson::NUMBER_ERROR);
      if (ids) {
        uint64_t v = 0;
        switch (ToUint64(n, &v)) {
          case NumberConversion::kOk: AppendUint(&buf, v); return true;
          case NumberConversion::kNegative:
            return ctx.ColumnError(column, Preview(token) + " is negative (id is unsigned)");
          case NumberConversion::kOutOfRange:
            return ctx.ColumnError(column, Preview(token) + " is out of range for id");
          default: return ctx.ColumnError(column, Preview(token) + " is not an integer");
        }
      }
      buf.push_back('"');
      buf.append(token);  // number text is plain ASCII: no escaping needed
      buf.push_back('"');
      return true;
    }
    case od::json_type::boolean: {
      const bool t = CheckLiteral(token, "true");
      if (!t && !CheckLiteral(token, "false")) {
        return ctx.JsonError(token.front() == 't' ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR);
      }
      if (ids) return ctx.TypeError(column, type);
      buf.append(t ? "\"true\"" : "\"false\"");
      return true;
    }
    case od::json_type::null:
      if (!CheckLiteral(token, "null")) return ctx.JsonError(simdjson::N_ATOM_ERROR);
      return ctx.ColumnError(column, "null inside a set");
    case od::json_type::object:
    case od::json_type::array:
      return ctx.TypeError(column, type);
  }
  return ctx.TypeError(column, type);
}

// --- Fast path ------------------------------------------------------------------------------
// A byte-level walk for the common record: compact (no whitespace outside strings), no
// backslash, nesting at most kFastMaxDepth, every mapped value coercible. It accepts a subset
// of what the On-Demand walk accepts and gives up (returns false) on everything else, so
// rejections and their messages always come from MapRecordFullWalk:
//  * grammar: RFC 8259 without whitespace; scalars must be followed by ',', '}' or ']';
//  * bytes: no backslash and no byte below 0x20 anywhere (one SIMD pass, ScanRecord, which
//    also finds every quote, so strings end at the next quote); any byte >= 0x80 makes the
//    record go through simdjson::validate_utf8 (the check stage 1 makes);
//  * numbers: the bytes [0-9+-.eE] up to the delimiter must pass ParseJsonNumber, as the
//    On-Demand walk checks its number tokens;
//  * the padding simdjson requires must be there (else the full walk reports it);
//  * coercions: the same functions as Coerce, success paths only; sets, duplicates, objects or
//    arrays where a column or an object is expected, a missing _id: give up.

namespace {

constexpr int kFastMaxDepth = 32;
static_assert(simdjson::SIMDJSON_PADDING >= 63, "ScanRecord reads whole 64-byte blocks");

inline bool IsNumberByte(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

}  // namespace

struct FieldMapper::FastCursor {
  const char* p = nullptr;    // next byte to read
  const char* end = nullptr;  // end of the record (at least SIMDJSON_PADDING readable after)
  const char* base = nullptr;
  Scratch* scratch = nullptr;
  const uint64_t* quotes = nullptr;  // ScanRecord's quote bits
  size_t words = 0;                  // number of them
  uint64_t* key_sequence = nullptr;  // Scratch::key_sequence
  uint32_t key_index = 0;             // keys met so far in mapped objects

  // At an opening quote `at`: just past the closing quote (the next quote: ScanRecord made sure
  // there is no backslash); nullptr when the string is not closed. Takes and returns the
  // position so that FastObject can keep it in a register.
  const char* StringEnd(const char* at) const {
    const size_t from = static_cast<size_t>(at - base) + 1;
    size_t word = from >> 6;
    size_t close = from;
    uint64_t bits = word < words ? quotes[word] >> (from & 63) : 0;
    while (bits == 0) {
      if (++word >= words) return nullptr;
      bits = quotes[word];
      close = word * 64;
    }
    close += static_cast<size_t>(__builtin_ctzll(bits));
    return base + close + 1;
  }
  // StringEnd from `p`, moving `p` and returning the content.
  bool String(std::string_view* content) {
    const char* next = StringEnd(p);
    if (next == nullptr) return false;
    *content = std::string_view(p + 1, static_cast<size_t>(next - p) - 2);
    p = next;
    return true;
  }
  // Just past the digits starting at `at` (at most `end`). Eight bytes at a time: reads up to
  // 7 bytes past the record, inside the padding.
  const char* SkipDigits(const char* at) const {
    while (at < end) {
      const uint64_t x = LoadBytes8(at) ^ 0x3030303030303030ULL;  // digits become 0..9
      // Bit 7 of each byte that is not a digit (a carry out of such a byte can only spoil the
      // bytes after it; only the first one counts).
      const uint64_t other = ((x + 0x7676767676767676ULL) | x) & 0x8080808080808080ULL;
      if (other != 0) {
        at += __builtin_ctzll(other) / 8;
        break;
      }
      at += 8;
    }
    return at < end ? at : end;
  }
  // At a '-' or digit: the common number -?(0|[1-9][0-9]*)(.[0-9]+)? not followed by another
  // number byte, split as ParseJsonNumber would; false (nothing moved) for anything else, which
  // Number() then decides.
  bool SimpleNumber(std::string_view* token, JsonNumberText* n) {
    const char* at = p;
    const bool negative = *at == '-';
    at += negative;
    const char* int_begin = at;
    at = SkipDigits(at);
    const size_t int_length = static_cast<size_t>(at - int_begin);
    if (int_length == 0 || (int_length > 1 && *int_begin == '0')) return false;
    std::string_view frac;
    if (at < end && *at == '.') {
      const char* frac_begin = at + 1;
      at = SkipDigits(frac_begin);
      if (at == frac_begin) return false;
      frac = std::string_view(frac_begin, static_cast<size_t>(at - frac_begin));
    }
    if (at < end && IsNumberByte(*at)) return false;  // an exponent, or not a number
    n->negative = negative;
    n->int_digits = std::string_view(int_begin, int_length);
    n->frac_digits = frac;
    n->has_exponent = false;
    n->exponent = 0;
    *token = std::string_view(p, static_cast<size_t>(at - p));
    p = at;
    return true;
  }
  // At a '-' or digit: the number token, checked with ParseJsonNumber.
  bool Number(std::string_view* token, JsonNumberText* n) {
    const char* begin = p;
    while (p < end && IsNumberByte(*p)) ++p;
    *token = std::string_view(begin, static_cast<size_t>(p - begin));
    return ParseJsonNumber(*token, n);
  }
  // At 't', 'f' or 'n': true when the literal is there (the caller checks what follows).
  bool Literal(std::string_view literal) {
    if (static_cast<size_t>(end - p) < literal.size() ||
        std::memcmp(p, literal.data(), literal.size()) != 0) {
      return false;
    }
    p += literal.size();
    return true;
  }
  void SetInput(Scratch::Slot& slot, const char* begin, const char* stop) {
    slot.source = Scratch::Source::kInput;
    slot.begin = static_cast<uint32_t>(begin - base);
    slot.length = static_cast<uint32_t>(stop - begin);
  }
};

bool FieldMapper::MapRecordFast(Scratch& scratch, const char* data, size_t length,
                                size_t capacity, PayloadMode mode, std::string* out) const {
  if (capacity < length || capacity - length < simdjson::SIMDJSON_PADDING) return false;
  if (length < 2 || data[0] != '{') return false;
  const size_t words = (length + 63) / 64;
  if (scratch.quotes.size() < words) scratch.quotes.resize(words);  // grows once
  bool high = false;
  if (!ScanRecord(data, length, scratch.quotes.data(), &high)) return false;
  scratch.buffer.clear();
  std::memset(static_cast<void*>(scratch.slots.data()), 0,
              scratch.slots.size() * sizeof(Scratch::Slot));
  FastCursor cursor;
  cursor.p = data;
  cursor.end = data + length;
  cursor.base = data;
  cursor.scratch = &scratch;
  cursor.quotes = scratch.quotes.data();
  cursor.words = words;
  if (scratch.key_sequence.size() != kPredictedKeys) {
    scratch.key_sequence.assign(kPredictedKeys, ~uint64_t{0});  // a scratch not from MakeScratch
  }
  cursor.key_sequence = scratch.key_sequence.data();
  if (!FastObject<true>(cursor, 0, 1) || cursor.p != cursor.end) return false;
  // Bytes >= 0x80 can only be inside strings here (anywhere else the walk gave up); stage 1
  // would check the whole record's UTF-8 with the same validator.
  if (high && !simdjson::validate_utf8(data, length)) return false;
  if (scratch.slots[schema_.id_index()].source == Scratch::Source::kAbsent) return false;
  if (mode == PayloadMode::kRaw) {
    out->append(data, length);  // no whitespace outside strings: already minified
  } else {
    AppendMapped(scratch, data, out);
  }
  return true;
}

namespace {

// True when the record at `p` starts with the child's `"key":`. Reads 16 bytes at p and, for
// long keys, the rest of the pattern: within the padding after the record's end, which the
// caller checked; the caller also checks that the pattern ends inside the record.
template <typename ChildT>
inline bool MatchesPattern(const char* p, const ChildT& child) {
  const uint64_t a = LoadBytes8(p);
  const uint64_t b = LoadBytes8(p + 8);
  if ((((a ^ child.pattern_head[0]) & child.pattern_mask[0]) |
       ((b ^ child.pattern_head[1]) & child.pattern_mask[1])) != 0) {
    return false;
  }
  return child.pattern.size() <= 16 ||
         std::memcmp(p + 16, child.pattern.data() + 16, child.pattern.size() - 16) == 0;
}

}  // namespace

// At '{'. With kMapped, `node` is the trie node of this object and each key is matched (the
// predicted key first, see Scratch::next_key); without, keys are only checked.
template <bool kMapped>
bool FieldMapper::FastObject(FastCursor& c, uint32_t node, int depth) const {
  if (depth > kFastMaxDepth) return false;
  // The position lives in a register here (c.p only around calls): it is the chain that every
  // step of the walk waits on.
  const char* p = c.p + 1;
  const char* const end = c.end;
  if (p < end && *p == '}') {
    c.p = p + 1;
    return true;
  }
  while (true) {
    if (p >= end || *p != '"') return false;
    const Child* child = nullptr;
    if constexpr (kMapped) {
      const Node& n = trie_.node(node);
      const uint32_t k = c.key_index++;
      if (k < kPredictedKeys) {
        const uint64_t guess = c.key_sequence[k];
        const size_t index = static_cast<uint32_t>(guess);
        if ((guess >> 32) == node && index < n.children.size()) {
          const Child& g = n.children[index];
          // `"key":` and at least one byte of value inside the record.
          if (g.predictable && static_cast<size_t>(end - p) > g.pattern.size() &&
              MatchesPattern(p, g)) {
            child = &g;
            p += g.pattern.size();
          }
        }
      }
      if (child == nullptr) {
        const char* key_end = c.StringEnd(p);
        if (key_end == nullptr) return false;
        const std::string_view key(p + 1, static_cast<size_t>(key_end - p) - 2);
        p = key_end;
        if (p + 1 >= end || *p != ':') return false;  // ':' and a byte of value
        ++p;
        child = trie_.FindChildEntry(node, key);
        if (k < kPredictedKeys) {
          c.key_sequence[k] =
              child == nullptr
                  ? ~uint64_t{0}
                  : (uint64_t{node} << 32 | static_cast<uint64_t>(child - n.children.data()));
        }
      }
    } else {
      p = c.StringEnd(p);
      if (p == nullptr) return false;
      if (p + 1 >= end || *p != ':') return false;  // ':' and a byte of value
      ++p;
    }
    if (child == nullptr) {
      c.p = p;
      if (!FastSkipValue(c, depth + 1)) return false;
      p = c.p;
    } else if (child->column >= 0) {
      const uint32_t index = static_cast<uint32_t>(child->column);
      Scratch::Slot& slot = c.scratch->slots[index];
      if (child->string_column && *p == '"' && !slot.seen) {
        // The most common case without a call: a string for a string column is kept as its
        // token (what FastColumn, and Coerce, do).
        const char* value_end = c.StringEnd(p);
        if (value_end == nullptr) return false;
        slot.seen = true;
        c.SetInput(slot, p, value_end);
        p = value_end;
      } else {
        c.p = p;
        if (!FastColumn(c, index)) return false;
        p = c.p;
      }
    } else if (*p == '{') {
      c.p = p;
      if (!FastObject<true>(c, child->node, depth + 1)) return false;
      p = c.p;
    } else if (end - p >= 4 && std::memcmp(p, "null", 4) == 0) {
      p += 4;  // null object: its columns left out
    } else {
      return false;
    }
    if (p >= end) return false;
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p != '}') return false;
    c.p = p + 1;
    return true;
  }
}

// Any value not mapped: checked, not stored.
bool FieldMapper::FastSkipValue(FastCursor& c, int depth) const {
  switch (*c.p) {
    case '"': {
      std::string_view content;
      return c.String(&content);
    }
    case '{': return FastObject<false>(c, 0, depth);
    case '[': {
      if (depth > kFastMaxDepth) return false;
      ++c.p;
      if (c.p < c.end && *c.p == ']') {
        ++c.p;
        return true;
      }
      while (true) {
        if (c.p >= c.end || !FastSkipValue(c, depth + 1)) return false;
        if (c.p >= c.end) return false;
        if (*c.p == ',') {
          ++c.p;
          continue;
        }
        if (*c.p != ']') return false;
        ++c.p;
        return true;
      }
    }
    case 't': return c.Literal("true");
    case 'f': return c.Literal("false");
    case 'n': return c.Literal("null");
    default: {
      if (*c.p != '-' && (*c.p < '0' || *c.p > '9')) return false;
      std::string_view token;
      JsonNumberText n;
      return c.SimpleNumber(&token, &n) || c.Number(&token, &n);
    }
  }
}

// A column's value: the success paths of Coerce (and of WalkObject's inlined string case),
// same functions, same slot contents.
bool FieldMapper::FastColumn(FastCursor& c, uint32_t index) const {
  const Column& column = schema_.columns()[index];
  Scratch::Slot& slot = c.scratch->slots[index];
  if (slot.seen) return false;  // duplicate key: the full walk words the rejection
  slot.seen = true;
  const char* begin = c.p;
  const char first = *c.p;
  if (first == 'n') return c.Literal("null");  // null leaves the column out
  std::string& buf = c.scratch->buffer;
  const size_t buffer_begin = buf.size();
  auto finish_buffer = [&]() {
    slot.source = Scratch::Source::kBuffer;
    slot.begin = static_cast<uint32_t>(buffer_begin);
    slot.length = static_cast<uint32_t>(buf.size() - buffer_begin);
    return true;
  };
  enum class Kind : uint8_t { kString, kNumber, kTrue, kFalse };
  Kind kind;
  std::string_view content;  // string: between the quotes; number: the token
  JsonNumberText number;
  bool number_ok = false;
  if (first == '"') {
    if (!c.String(&content)) return false;
    kind = Kind::kString;
  } else if (first == 't') {
    if (!c.Literal("true")) return false;
    kind = Kind::kTrue;
  } else if (first == 'f') {
    if (!c.Literal("false")) return false;
    kind = Kind::kFalse;
  } else if (first == '-' || (first >= '0' && first <= '9')) {
    number_ok = c.SimpleNumber(&content, &number) || c.Number(&content, &number);
    if (!number_ok) return false;  // NUMBER_ERROR in the full walk
    kind = Kind::kNumber;
  } else {
    return false;  // object or array (sets, type errors): the full walk decides
  }
  const std::string_view token(begin, static_cast<size_t>(c.p - begin));
  switch (column.type) {
    case ColumnType::kString:
      if (kind == Kind::kString) {
        c.SetInput(slot, begin, c.p);
        return true;
      }
      if (kind == Kind::kNumber) {
        buf.push_back('"');
        buf.append(token);
        buf.push_back('"');
      } else {
        buf.append(kind == Kind::kTrue ? "\"true\"" : "\"false\"");
      }
      return finish_buffer();
    case ColumnType::kInt:
    case ColumnType::kId:
    case ColumnType::kDecimal: {
      if (kind == Kind::kString) {
        if (!ParseJsonNumber(content, &number)) return false;
      } else if (kind != Kind::kNumber) {
        return false;
      }
      bool keep_token = false;
      int64_t fraction_digits = 0;
      if (CoerceNumber(column, number, kind == Kind::kNumber, &buf, &keep_token,
                       &fraction_digits) != NumberConversion::kOk) {
        buf.resize(buffer_begin);
        return false;
      }
      if (keep_token) {
        c.SetInput(slot, begin, c.p);
        return true;
      }
      return finish_buffer();
    }
    case ColumnType::kBool: {
      bool v = false;
      if (kind == Kind::kTrue || kind == Kind::kFalse) {
        v = kind == Kind::kTrue;
      } else if (!BoolFromText(kind == Kind::kString ? content : token, kind == Kind::kString,
                               &v)) {
        return false;
      }
      buf.append(v ? "true" : "false");
      return finish_buffer();
    }
    case ColumnType::kTimestamp:
      if (kind != Kind::kString || !IsRfc3339Timestamp(content)) return false;
      c.SetInput(slot, begin, c.p);
      return true;
    case ColumnType::kStringSet:
    case ColumnType::kIdSet:
      return false;  // sets go through the full walk
  }
  return false;
}

}  // namespace sluice::stages
